/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * streams.c: sample streams written through the public writer API.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdint.h>
#include <string.h>

#include "streams.h"

#define TRY(call) do { int rc_ = (call); if (rc_ != 0) return rc_; } while (0)

#define STORE_PFN   0xfeffcu
#define CONSOLE_PFN 0xfeffdu

/* The smallest structurally complete HVM context: HEADER and END. */
static const unsigned char hvm_context[40] = {
	0x01, 0x00, 0x00, 0x00, 0x18, 0x00, 0x00, 0x00,
	0x86, 0x12, 0x38, 0x54, 0x01, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xea, 0x06, 0x09, 0x00, 0x80, 0x84, 0x1e, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static unsigned char page_buf[4][4096];

static int headers(migstream_writer *w, uint32_t version, uint32_t type)
{
	migstream_image_header ih;
	migstream_domain_header dh;

	memset(&ih, 0, sizeof ih);
	ih.version = version;
	TRY(migstream_writer_put_image_header(w, &ih, sizeof ih));
	memset(&dh, 0, sizeof dh);
	dh.type = type;
	dh.page_shift = 12;
	dh.xen_major = 4;
	dh.xen_minor = 19;
	return migstream_writer_put_domain_header(w, &dh, sizeof dh);
}

static int page_batch(migstream_writer *w, uint64_t first, unsigned n, int with_xtab)
{
	uint64_t pfns[6];
	uint32_t types[6];
	const void *data[6];
	unsigned i, k = 0;

	for (i = 0; i < n && i < 4; i++) {
		pfns[k] = first + i;
		types[k] = MIGSTREAM_PAGE_NOTAB;
		memset(page_buf[i], (int)(0x10 + first + i), sizeof page_buf[i]);
		data[k] = page_buf[i];
		k++;
	}
	if (with_xtab) {
		pfns[k] = 0xa0;
		types[k++] = MIGSTREAM_PAGE_XTAB;
	}
	return migstream_writer_put_page_data(w, k, pfns, types, data);
}

static int hvm_tail(migstream_writer *w)
{
	migstream_tsc_info tsc;
	uint64_t idx[2] = { 1, 17 }, val[2] = { STORE_PFN, CONSOLE_PFN };
	uint64_t pfns[2] = { STORE_PFN, CONSOLE_PFN };
	uint32_t types[2] = { MIGSTREAM_PAGE_NOTAB, MIGSTREAM_PAGE_NOTAB };
	const void *data[2];

	memset(page_buf[0], 0, sizeof page_buf[0]);
	data[0] = data[1] = page_buf[0];
	TRY(migstream_writer_put_page_data(w, 2, pfns, types, data));
	memset(&tsc, 0, sizeof tsc);
	tsc.khz = 2000000;
	tsc.nsec = 312500000;
	tsc.incarnation = 1;
	TRY(migstream_writer_put_tsc_info(w, &tsc, sizeof tsc));
	TRY(migstream_writer_put_hvm_params(w, 2, idx, val));
	return migstream_writer_put_hvm_context(w, hvm_context, sizeof hvm_context);
}

static int hvm_body(migstream_writer *w, uint32_t version)
{
	TRY(headers(w, version, MIGSTREAM_DOMAIN_X86_HVM));
	if (version >= 3) {
		migstream_cpuid_leaf leaves[2];
		migstream_msr_entry msr;

		memset(leaves, 0, sizeof leaves);
		leaves[0].subleaf = 0xFFFFFFFFu;
		leaves[0].a = 0xd;
		leaves[0].b = 0x756e6547;
		leaves[0].d = 0x49656e69;
		leaves[0].c = 0x6c65746e;
		leaves[1].leaf = 7;
		leaves[1].b = 0x029c6fbf;
		TRY(migstream_writer_put_cpuid_policy(w, leaves, 2, sizeof leaves[0]));
		memset(&msr, 0, sizeof msr);
		msr.idx = 0xCE;
		TRY(migstream_writer_put_msr_policy(w, &msr, 1, sizeof msr));
		TRY(migstream_writer_put_static_data_end(w));
	}
	TRY(page_batch(w, 0, 4, 0));
	TRY(page_batch(w, 4, 2, 1));
	return hvm_tail(w);
}

int ts_write_hvm_image(migstream_writer *w)
{
	TRY(hvm_body(w, 3));
	return migstream_writer_put_end(w);
}

int ts_write_hvm_image_v2(migstream_writer *w)
{
	TRY(hvm_body(w, 2));
	return migstream_writer_put_end(w);
}

int ts_write_pv_image(migstream_writer *w)
{
	migstream_x86_pv_info info;
	migstream_tsc_info tsc;
	static const uint64_t frames[1] = { 0 };
	static unsigned char shared[4096], basic[5168], ext[64];

	TRY(headers(w, 3, MIGSTREAM_DOMAIN_X86_PV));
	memset(&info, 0, sizeof info);
	info.guest_width = 8;
	info.pt_levels = 4;
	TRY(migstream_writer_put_x86_pv_info(w, &info, sizeof info));
	TRY(migstream_writer_put_static_data_end(w));
	TRY(migstream_writer_put_p2m_frames(w, 0, 511, frames, 1));
	TRY(page_batch(w, 0, 4, 1));
	memset(&tsc, 0, sizeof tsc);
	tsc.khz = 2000000;
	tsc.incarnation = 1;
	TRY(migstream_writer_put_tsc_info(w, &tsc, sizeof tsc));
	TRY(migstream_writer_put_shared_info(w, shared, sizeof shared));
	TRY(migstream_writer_put_vcpu(w, MIGSTREAM_REC_X86_PV_VCPU_BASIC, 0, basic, sizeof basic));
	memset(ext, 0, sizeof ext);
	ext[4] = sizeof ext;
	TRY(migstream_writer_put_vcpu(w, MIGSTREAM_REC_X86_PV_VCPU_EXTENDED, 0, ext, sizeof ext));
	return migstream_writer_put_end(w);
}

static int libxl_head(migstream_writer *w)
{
	migstream_libxl_header lh;

	memset(&lh, 0, sizeof lh);
	lh.version = 2;
	return migstream_writer_put_libxl_header(w, &lh, sizeof lh);
}

static int libxl_tail(migstream_writer *w)
{
	static const char xs[] = "physmap/1/start_addr\0f0000000\0physmap/1/size\0800000";
	static const unsigned char qemu[24] = "QEVM\0\0\0\3fuzzing state";

	TRY(migstream_writer_put_emulator_xenstore_data(w, MIGSTREAM_EMULATOR_QEMU_UPSTREAM, 0, xs,
	                                                 sizeof xs));
	return migstream_writer_put_emulator_context(w, MIGSTREAM_EMULATOR_QEMU_UPSTREAM, 0, qemu,
	                                             sizeof qemu);
}

int ts_write_libxl(migstream_writer *w)
{
	TRY(libxl_head(w));
	TRY(migstream_writer_put_libxc_context(w));
	TRY(ts_write_hvm_image(w));
	TRY(libxl_tail(w));
	return migstream_writer_put_end(w);
}

int ts_write_xl(migstream_writer *w)
{
	migstream_xl_header xh;
	unsigned char opt[4 + sizeof TS_XL_CONFIG];
	uint32_t n = sizeof TS_XL_CONFIG;

	memset(&xh, 0, sizeof xh);
	xh.mandatory_flags = MIGSTREAM_XL_FLAG_JSON | MIGSTREAM_XL_FLAG_STREAMV2;
	opt[0] = (unsigned char)n;
	opt[1] = (unsigned char)(n >> 8);
	opt[2] = opt[3] = 0;
	memcpy(opt + 4, TS_XL_CONFIG, sizeof TS_XL_CONFIG);
	TRY(migstream_writer_put_xl_header(w, &xh, sizeof xh, opt, sizeof opt));
	return ts_write_libxl(w);
}

int ts_write_checkpointed(migstream_writer *w, int colo, int checkpoints)
{
	TRY(libxl_head(w));
	TRY(migstream_writer_put_libxc_context(w));
	TRY(hvm_body(w, 3));
	for (int i = 0; i < checkpoints; i++) {
		TRY(migstream_writer_put_checkpoint(w));
		TRY(libxl_tail(w));
		TRY(migstream_writer_put_checkpoint_end(w));
		if (colo)
			TRY(migstream_writer_put_checkpoint_state(w, MIGSTREAM_CHECKPOINT_NEW));
		TRY(page_batch(w, (uint64_t)i, 2, 0));
		TRY(hvm_tail(w));
	}
	TRY(migstream_writer_put_end(w));
	TRY(libxl_tail(w));
	return migstream_writer_put_end(w);
}

int ts_write_back_channel(migstream_writer *w, int cycles)
{
	static const uint64_t pfns[3] = { 7, 0x12345, 0 };

	for (int i = 0; i < cycles; i++) {
		TRY(migstream_writer_put_checkpoint_state(w, MIGSTREAM_CHECKPOINT_SVM_READY));
		TRY(migstream_writer_put_checkpoint_state(w, MIGSTREAM_CHECKPOINT_SVM_RESUMED));
		TRY(migstream_writer_put_checkpoint_state(w, MIGSTREAM_CHECKPOINT_SVM_SUSPENDED));
		TRY(migstream_writer_put_dirty_pfn_list(w, pfns, (uint32_t)(1 + i % 3)));
	}
	return 0;
}
