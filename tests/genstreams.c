/*
 * genstreams: write a small corpus of valid streams for the shell tests
 * (tests/cli.sh, tests/diff-verify-stream.sh), with the public writer.
 *
 *   genstreams DIR
 *
 * Writes DIR/hvm3.libxc (version 3, pages sent twice, as a live migration
 * does), DIR/hvm2.libxc (version 2, Xen 4.13), DIR/hvm.libxl (a libxl
 * stream with emulator records) and DIR/hvm.xl (an xl save file with a
 * JSON config around the libxl stream), and DIR/big.xl (an xl save file
 * whose image has PAGE_DATA records of 3000 and 1500 entries, an optional
 * record, and HVM_CONTEXT before HVM_PARAMS as Xen's saver writes them: the
 * input of the copy option tests).  Exit status 0, or 1 with the writer's
 * message.
 *
 *   genstreams DIR --huge
 *
 * Writes only DIR/huge.libxl: hvm.libxl with a 40 MiB EMULATOR_CONTEXT
 * (a record larger than migstream tee's ring, which must grow for it).
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <migstream.h>

static unsigned char pages[8][4096];

static const unsigned char hvm_context[40] = {
	0x01, 0x00, 0x00, 0x00, 0x18, 0x00, 0x00, 0x00, 0x86, 0x12, 0x38, 0x54,
	0x01, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xea, 0x06, 0x09, 0x00, 0x80, 0x84, 0x1e, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
};

#define TRY(x) do { if ((x) != 0) { fprintf(stderr, "genstreams: %s: %s: %s\n", path, #x, \
	migstream_writer_errmsg(w)); return 1; } } while (0)

static int image(migstream_writer *w, const char *path, uint32_t version)
{
	migstream_image_header ih = { 0, 0, version, 0, 0, 0 };
	migstream_domain_header dh = { MIGSTREAM_DOMAIN_X86_HVM, 12, 0, 4, version == 3 ? 19 : 13 };
	migstream_cpuid_leaf leaf = { 0, 0xFFFFFFFFu, 0xd, 0x756e6547, 0x6c65746e, 0x49656e69 };
	migstream_msr_entry msr = { 0xCE, 0, 0 };
	migstream_tsc_info tsc = { 0, 2000000, 312500000, 1, 0 };
	uint64_t pfns[8], idx[2] = { 1, 17 }, val[2] = { 0xfeffc, 0xfeffd };
	uint32_t types[8];
	const void *data[8];

	TRY(migstream_writer_put_image_header(w, &ih, sizeof ih));
	TRY(migstream_writer_put_domain_header(w, &dh, sizeof dh));
	if (version == 3) {
		TRY(migstream_writer_put_cpuid_policy(w, &leaf, 1, sizeof leaf));
		TRY(migstream_writer_put_msr_policy(w, &msr, 1, sizeof msr));
		TRY(migstream_writer_put_static_data_end(w));
	}
	/* Two iterations: pfns 0-5, then 2-3 again with new contents. */
	for (unsigned i = 0; i < 6; i++) {
		pfns[i] = i;
		types[i] = MIGSTREAM_PAGE_NOTAB;
		memset(pages[i], 0x10 + (int)i, sizeof pages[i]);
		pages[i][0] = (unsigned char)i;
		data[i] = pages[i];
	}
	pfns[6] = 0xa0;
	types[6] = MIGSTREAM_PAGE_XTAB;
	TRY(migstream_writer_put_page_data(w, 7, pfns, types, data));
	for (unsigned i = 0; i < 2; i++) {
		pfns[i] = 2 + i;
		memset(pages[6 + i], 0x60 + (int)i, sizeof pages[6]);
		data[i] = pages[6 + i];
	}
	TRY(migstream_writer_put_page_data(w, 2, pfns, types, data));
	pfns[0] = 0xfeffc;
	pfns[1] = 0xfeffd;
	memset(pages[0], 0, sizeof pages[0]);
	data[0] = data[1] = pages[0];
	TRY(migstream_writer_put_page_data(w, 2, pfns, types, data));
	TRY(migstream_writer_put_tsc_info(w, &tsc, sizeof tsc));
	TRY(migstream_writer_put_hvm_params(w, 2, idx, val));
	TRY(migstream_writer_put_hvm_context(w, hvm_context, sizeof hvm_context));
	TRY(migstream_writer_put_end(w));
	return 0;
}

/* The image of big.xl: many pfns per record, an optional record, Xen's
 * HVM record order. */
static int image_big(migstream_writer *w, const char *path)
{
	static unsigned char mem[3000][4096];
	static uint64_t pfns[3000];
	static uint32_t types[3000];
	static const void *data[3000];
	migstream_image_header ih = { 0, 0, 3, 0, 0, 0 };
	migstream_domain_header dh = { MIGSTREAM_DOMAIN_X86_HVM, 12, 0, 4, 19 };
	migstream_tsc_info tsc = { 0, 2000000, 312500000, 1, 0 };
	uint64_t idx[2] = { 1, 17 }, val[2] = { 0x1000, 0x1001 };

	TRY(migstream_writer_put_image_header(w, &ih, sizeof ih));
	TRY(migstream_writer_put_domain_header(w, &dh, sizeof dh));
	TRY(migstream_writer_put_static_data_end(w));
	for (unsigned pass = 0; pass < 2; pass++) {
		unsigned n = pass ? 1500 : 3000, k = 0;
		for (unsigned i = 0; i < n; i++) {
			pfns[i] = 0x1000 + (uint64_t)i * (pass ? 2 : 1);
			types[i] = i % 7 == 6 ? MIGSTREAM_PAGE_XTAB : MIGSTREAM_PAGE_NOTAB;
			if (types[i] == MIGSTREAM_PAGE_NOTAB) {
				memset(mem[k], (int)(i * 13 + pass), sizeof mem[k]);
				memcpy(mem[k], &pfns[i], sizeof pfns[i]);
				data[k] = mem[k];
				k++;
			}
		}
		TRY(migstream_writer_put_page_data(w, n, pfns, types, data));
		if (!pass)
			TRY(migstream_writer_put_record(w, 0x80000010u, "optional", 8));
	}
	TRY(migstream_writer_put_tsc_info(w, &tsc, sizeof tsc));
	TRY(migstream_writer_put_hvm_context(w, hvm_context, sizeof hvm_context));
	TRY(migstream_writer_put_hvm_params(w, 2, idx, val));
	TRY(migstream_writer_put_end(w));
	return 0;
}

static const char config[] =
	"{\"c_info\":{\"type\":\"hvm\",\"name\":\"demo\"},\"b_info\":{\"max_vcpus\":1}}";

static unsigned char *emu;       /* --huge: the emulator context */
static size_t emu_len;

static int one(const char *dir, const char *name, int layers, uint32_t version)
{
	char path[4096];
	migstream_writer *w = migstream_writer_new();
	int rc = 1;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (!w)
		return 1;
	TRY(migstream_writer_set_option(w, MIGSTREAM_OPT_TRUNCATE, 1));
	TRY(migstream_writer_open_path(w, path));
	if (layers >= 2) {
		migstream_xl_header xh;
		unsigned char opt[4 + sizeof config];
		uint32_t n = sizeof config;
		memset(&xh, 0, sizeof xh);
		xh.mandatory_flags = MIGSTREAM_XL_FLAG_JSON | MIGSTREAM_XL_FLAG_STREAMV2;
		opt[0] = (unsigned char)n;      /* config_len, little-endian */
		opt[1] = (unsigned char)(n >> 8);
		opt[2] = opt[3] = 0;
		memcpy(opt + 4, config, sizeof config);
		TRY(migstream_writer_put_xl_header(w, &xh, sizeof xh, opt, sizeof opt));
	}
	if (layers >= 1) {
		migstream_libxl_header lh = { 0, 2, 0 };
		static const char xs[] = "physmap/0/start_addr\0f0000000\0physmap/0/size\0800000\0";
		static const unsigned char qemu64[64] = "QEVM";
		const unsigned char *qemu = emu ? emu : qemu64;
		size_t qemu_len = emu ? emu_len : sizeof qemu64;
		TRY(migstream_writer_put_libxl_header(w, &lh, sizeof lh));
		TRY(migstream_writer_put_libxc_context(w));
		if (version == 0 ? image_big(w, path) : image(w, path, version))
			goto out;
		TRY(migstream_writer_put_emulator_xenstore_data(w, MIGSTREAM_EMULATOR_QEMU_UPSTREAM, 0,
		                                                xs, sizeof xs - 1));
		TRY(migstream_writer_put_emulator_context(w, MIGSTREAM_EMULATOR_QEMU_UPSTREAM, 0, qemu,
		                                          qemu_len));
		TRY(migstream_writer_put_end(w));
	} else if (image(w, path, version)) {
		goto out;
	}
	TRY(migstream_writer_close(w));
	rc = 0;
out:
	migstream_writer_free(w);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[2], "--huge") == 0) {
		emu_len = (size_t)40 << 20;
		if (!(emu = malloc(emu_len)))
			return 1;
		memcpy(emu, "QEVM", 4);
		for (size_t i = 4; i < emu_len; i++)
			emu[i] = (unsigned char)(i * 2654435761u >> 24);
		int rc = one(argv[1], "huge.libxl", 1, 3);
		free(emu);
		return rc;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: genstreams DIR [--huge]\n");
		return 2;
	}
	return one(argv[1], "hvm3.libxc", 0, 3) || one(argv[1], "hvm2.libxc", 0, 2) ||
	       one(argv[1], "hvm.libxl", 1, 3) || one(argv[1], "hvm.xl", 2, 3) ||
	       one(argv[1], "big.xl", 2, 0);
}
