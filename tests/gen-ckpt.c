/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * gen-ckpt: a checkpointed stream with known page contents per round, and
 * the memory a receiver must end with, for tests/checkpoint.sh.
 *
 *   gen-ckpt libxc|libxl|xl hvm|pv remus|colo ROUNDS OUT
 *   gen-ckpt back - - ROUNDS OUT
 *
 * writes OUT: ROUNDS complete checkpoints, then the records of round
 * ROUNDS + 1 up to (not including) its CHECKPOINT, as a capture cut at
 * failover looks.  OUT.mem.K (K = 1..ROUNDS) is the raw memory image (page
 * pfn at pfn * 4096) after round K is committed, kept by this program's own
 * model: round 1 sends pfns 0..15, round r > 1 re-sends pfns r % 16 and
 * 5r % 16 and sends pfn 16 + r for the first time, each page filled from
 * (pfn, r).  Standard output: one line per record boundary after the
 * headers, "OFFSET COMMITTED", the rounds committed once the stream has
 * reached OFFSET.  "back": a COLO back channel of ROUNDS cycles, cycle i
 * listing i dirty pfns.
 */
#define _POSIX_C_SOURCE 200809L

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <migstream.h>

#define MAXPFN 64
#define STORE_PFN   0x30u
#define CONSOLE_PFN 0x31u

static migstream_writer *w;
static int wrap_libxc, colo, pv;
static int committed;
static int round_of[MAXPFN];           /* model: committed round of each pfn (0: never) */
static int pending_of[MAXPFN];         /* the open round's pages */

static void die(const char *what)
{
	fprintf(stderr, "gen-ckpt: %s: %s\n", what, migstream_writer_errmsg(w));
	exit(1);
}

#define PUT(call) do { if ((call) != 0) die(#call); mark(); } while (0)

static void mark(void)
{
	printf("%llu %d\n", (unsigned long long)migstream_writer_offset(w), committed);
}

static void fill(unsigned char *p, uint64_t pfn, int round)
{
	for (int i = 0; i < 4096; i++)
		p[i] = (unsigned char)(pfn * 7 + (uint64_t)round * 31 + (uint64_t)i / 64);
	snprintf((char *)p, 32, "pfn %llu round %d", (unsigned long long)pfn, round);
}

/* One PAGE_DATA record of the given pfns, all written in round r. */
static void pages(const uint64_t *pfn, unsigned n, int r)
{
	static unsigned char buf[8][4096];
	uint32_t types[8];
	const void *data[8];

	for (unsigned i = 0; i < n; i++) {
		fill(buf[i], pfn[i], r);
		types[i] = MIGSTREAM_PAGE_NOTAB;
		data[i] = buf[i];
		pending_of[pfn[i]] = r;
	}
	PUT(migstream_writer_put_page_data(w, n, pfn, types, data));
}

static void commit_model(void)
{
	for (int p = 0; p < MAXPFN; p++)
		if (pending_of[p])
			round_of[p] = pending_of[p];
	memset(pending_of, 0, sizeof pending_of);
	committed++;
}

static void tail(void)
{
	migstream_tsc_info tsc;
	static const unsigned char hvm_context[40] = {
		0x01, 0x00, 0x00, 0x00, 0x18, 0x00, 0x00, 0x00,
		0x86, 0x12, 0x38, 0x54, 0x01, 0x00, 0x00, 0x00,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xea, 0x06, 0x09, 0x00, 0x80, 0x84, 0x1e, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	static unsigned char shared[4096], basic[5168], ext[64];

	memset(&tsc, 0, sizeof tsc);
	tsc.khz = 2000000;
	tsc.nsec = 312500000;
	tsc.incarnation = 1 + (uint32_t)committed;
	PUT(migstream_writer_put_tsc_info(w, &tsc, sizeof tsc));
	if (pv) {
		PUT(migstream_writer_put_shared_info(w, shared, sizeof shared));
		PUT(migstream_writer_put_vcpu(w, MIGSTREAM_REC_X86_PV_VCPU_BASIC, 0, basic, sizeof basic));
		memset(ext, 0, sizeof ext);
		ext[4] = sizeof ext;
		PUT(migstream_writer_put_vcpu(w, MIGSTREAM_REC_X86_PV_VCPU_EXTENDED, 0, ext, sizeof ext));
	} else {
		uint64_t idx[2] = { 1, 17 }, val[2] = { STORE_PFN, CONSOLE_PFN };
		PUT(migstream_writer_put_hvm_params(w, 2, idx, val));
		PUT(migstream_writer_put_hvm_context(w, hvm_context, sizeof hvm_context));
	}
}

static void emulator(void)
{
	static const char xs[] = "physmap/1/start_addr\0f0000000\0physmap/1/size\0800000";
	static const unsigned char qemu[24] = "QEVM\0\0\0\3checkpt state";

	if (pv)
		return;
	PUT(migstream_writer_put_emulator_xenstore_data(w, MIGSTREAM_EMULATOR_QEMU_UPSTREAM, 0, xs,
	                                                 sizeof xs));
	PUT(migstream_writer_put_emulator_context(w, MIGSTREAM_EMULATOR_QEMU_UPSTREAM, 0, qemu,
	                                          sizeof qemu));
}

static void round_body(int r)
{
	static const uint64_t frames[1] = { 0 };

	/* As Xen does: the p2m frames once, before the first round's pages
	 * (a save written from round N must carry them over from round 1). */
	if (pv && r == 1)
		PUT(migstream_writer_put_p2m_frames(w, 0, 511, frames, 1));
	if (r == 1) {
		uint64_t a[8], b[8];
		for (unsigned i = 0; i < 8; i++) {
			a[i] = i;
			b[i] = 8 + i;
		}
		pages(a, 8, r);
		pages(b, 8, r);
		if (!pv) {
			uint64_t c[2] = { STORE_PFN, CONSOLE_PFN };
			pages(c, 2, r);
		}
	} else {
		uint64_t a[2] = { (uint64_t)r % 16, (uint64_t)(5 * r) % 16 }, b[1] = { 16 + (uint64_t)r };
		if (a[0] == a[1])
			a[1] = (a[0] + 1) % 16;
		pages(a, 2, r);
		pages(b, 1, r);
	}
	tail();
}

static void write_model(const char *out, int k)
{
	char name[4096];
	unsigned char page[4096];
	snprintf(name, sizeof name, "%s.mem.%d", out, k);
	int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror(name);
		exit(1);
	}
	for (int p = 0; p < MAXPFN; p++) {
		if (!round_of[p])
			continue;
		fill(page, (uint64_t)p, round_of[p]);
		if (pwrite(fd, page, sizeof page, (off_t)p * 4096) != (ssize_t)sizeof page) {
			perror(name);
			exit(1);
		}
	}
	close(fd);
}

static int back_channel(int cycles, const char *out)
{
	uint64_t pfns[64];

	w = migstream_writer_new();
	if (!w || cycles < 1 || cycles > 64)
		return 2;
	if (migstream_writer_set_option(w, MIGSTREAM_OPT_STREAM_KIND, MIGSTREAM_KIND_COLO_BACK) != 0 ||
	    migstream_writer_set_option(w, MIGSTREAM_OPT_TRUNCATE, 1) != 0 ||
	    migstream_writer_open_path(w, out) != 0)
		die("open");
	for (int i = 1; i <= cycles; i++) {
		for (int k = 0; k < i; k++)
			pfns[k] = (uint64_t)(k * 3 + i);
		PUT(migstream_writer_put_checkpoint_state(w, MIGSTREAM_CHECKPOINT_SVM_READY));
		PUT(migstream_writer_put_checkpoint_state(w, MIGSTREAM_CHECKPOINT_SVM_RESUMED));
		PUT(migstream_writer_put_checkpoint_state(w, MIGSTREAM_CHECKPOINT_SVM_SUSPENDED));
		committed++;
		PUT(migstream_writer_put_dirty_pfn_list(w, pfns, (uint32_t)i));
	}
	if (migstream_writer_close(w) != 0)
		die("close");
	migstream_writer_free(w);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: gen-ckpt libxc|libxl|xl hvm|pv remus|colo ROUNDS OUT\n");
		return 2;
	}
	if (strcmp(argv[1], "back") == 0)
		return back_channel(atoi(argv[4]), argv[5]);
	wrap_libxc = strcmp(argv[1], "libxc") == 0;
	int xl = strcmp(argv[1], "xl") == 0;
	pv = strcmp(argv[2], "pv") == 0;
	colo = strcmp(argv[3], "colo") == 0;
	int rounds = atoi(argv[4]);
	const char *out = argv[5];
	if (rounds < 1 || rounds > 40 || (colo && wrap_libxc)) {
		fprintf(stderr, "gen-ckpt: 1..40 rounds; COLO needs a libxl stream\n");
		return 2;
	}

	w = migstream_writer_new();
	if (!w)
		return 1;
	if (migstream_writer_set_option(w, MIGSTREAM_OPT_STREAM_KIND,
	                                colo ? MIGSTREAM_KIND_COLO : MIGSTREAM_KIND_REMUS) != 0 ||
	    (pv && migstream_writer_set_option(w, MIGSTREAM_OPT_DEEP, 0) != 0) ||
	    migstream_writer_set_option(w, MIGSTREAM_OPT_TRUNCATE, 1) != 0 ||
	    migstream_writer_open_path(w, out) != 0)
		die("open");

	if (xl) {
		static const char cfg_hvm[] = "{\"c_info\":{\"type\":\"hvm\",\"name\":\"ckpt\"},\"b_info\":{\"max_vcpus\":1}}";
		static const char cfg_pv[] = "{\"c_info\":{\"type\":\"pv\",\"name\":\"ckpt\"},\"b_info\":{\"max_vcpus\":1}}";
		const char *cfg = pv ? cfg_pv : cfg_hvm;
		uint32_t n = (uint32_t)strlen(cfg) + 1;
		unsigned char opt[256];
		migstream_xl_header xh;
		memset(&xh, 0, sizeof xh);
		xh.mandatory_flags = MIGSTREAM_XL_FLAG_JSON | MIGSTREAM_XL_FLAG_STREAMV2;
		opt[0] = (unsigned char)n;
		opt[1] = (unsigned char)(n >> 8);
		opt[2] = opt[3] = 0;
		memcpy(opt + 4, cfg, n);
		if (migstream_writer_put_xl_header(w, &xh, sizeof xh, opt, 4 + n) != 0)
			die("xl header");
	}
	if (!wrap_libxc) {
		migstream_libxl_header lh;
		memset(&lh, 0, sizeof lh);
		lh.version = 2;
		if (migstream_writer_put_libxl_header(w, &lh, sizeof lh) != 0)
			die("libxl header");
		PUT(migstream_writer_put_libxc_context(w));
	}
	migstream_image_header ih;
	migstream_domain_header dh;
	memset(&ih, 0, sizeof ih);
	ih.version = 3;
	if (migstream_writer_put_image_header(w, &ih, sizeof ih) != 0)
		die("image header");
	memset(&dh, 0, sizeof dh);
	dh.type = pv ? MIGSTREAM_DOMAIN_X86_PV : MIGSTREAM_DOMAIN_X86_HVM;
	dh.page_shift = 12;
	dh.xen_major = 4;
	dh.xen_minor = 19;
	if (migstream_writer_put_domain_header(w, &dh, sizeof dh) != 0)
		die("domain header");
	if (pv) {
		migstream_x86_pv_info info;
		memset(&info, 0, sizeof info);
		info.guest_width = 8;
		info.pt_levels = 4;
		PUT(migstream_writer_put_x86_pv_info(w, &info, sizeof info));
	}
	PUT(migstream_writer_put_static_data_end(w));

	for (int r = 1; r <= rounds + 1; r++) {
		round_body(r);
		if (r == rounds + 1)
			break;   /* the sender stopped: failover */
		if (wrap_libxc) {
			commit_model();
			PUT(migstream_writer_put_checkpoint(w));
		} else {
			PUT(migstream_writer_put_checkpoint(w));
			emulator();
			commit_model();
			PUT(migstream_writer_put_checkpoint_end(w));
			if (colo)
				PUT(migstream_writer_put_checkpoint_state(w, MIGSTREAM_CHECKPOINT_NEW));
		}
		write_model(out, r);
	}
	/* No END: a capture cut at failover. */
	migstream_writer_free(w);
	return 0;
}
