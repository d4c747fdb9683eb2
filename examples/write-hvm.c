/*
 * write-hvm: write a small but complete x86 HVM save image (libxc stream,
 * version 3), as a toolstack's save path would.
 *
 *   write-hvm FILE     create FILE (an existing file is refused)
 *   write-hvm -        write to standard output (a pipe works too)
 *
 * Exit status: 0 on success, 1 if anything failed (the message says what),
 * 2 on a usage error.
 *
 * This is meant to be copied.  It uses only <migstream.h> and shows the
 * usual pattern: new -> options -> open -> headers -> one put call per
 * record -> END -> close -> free.  The writer checks every record against
 * the same rules the reader enforces and refuses (writing nothing) what a
 * restorer would reject, so an error here is a bug in the caller's data.
 *
 * Build against an installed library:
 *   cc -o write-hvm write-hvm.c $(pkg-config --cflags --libs libmigstream)
 */
#include <stdio.h>
#include <string.h>

#include <migstream.h>

/* A tiny guest: these pfns carry memory, the store and console rings
 * among them (Xen's HVM layout puts them just below 0xff000). */
#define STORE_PFN    0xfeffcu
#define CONSOLE_PFN  0xfeffdu

static unsigned char pages[8][4096];

/* The smallest structurally complete HVM context blob: a HEADER entry and
 * an END entry (an x86 blob: always little-endian, whatever the stream's
 * byte order).  A real saver passes what the hypervisor returned. */
static const unsigned char hvm_context[40] = {
	0x01, 0x00, 0x00, 0x00, 0x18, 0x00, 0x00, 0x00, /* HEADER, instance 0, length 24 */
	0x86, 0x12, 0x38, 0x54, 0x01, 0x00, 0x00, 0x00, /* magic 0x54381286, version 1 */
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* changeset: unknown */
	0xea, 0x06, 0x09, 0x00, 0x80, 0x84, 0x1e, 0x00, /* cpuid, gtsc_khz 2000000 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* END */
};

/* Each put call returns 0 or a negative MIGSTREAM_E_* code; the writer
 * keeps the message (rule ID first for rule violations). */
static int fail(migstream_writer *w, const char *what)
{
	fprintf(stderr, "write-hvm: %s: %s\n", what, migstream_writer_errmsg(w));
	return 1;
}

static int write_stream(migstream_writer *w)
{
	migstream_image_header ih;
	migstream_domain_header dh;
	migstream_tsc_info tsc;
	migstream_cpuid_leaf leaves[2];
	migstream_msr_entry msr;
	uint64_t pfns[8];
	uint32_t types[8];
	const void *data[8];
	uint64_t idx[2], val[2];
	unsigned i;

	/* Headers.  Structs are passed with their size so they can grow;
	 * fields left 0 (marker, id, reserved) are filled by the writer. */
	memset(&ih, 0, sizeof ih);
	ih.version = 3;
	ih.options = 0;                     /* little-endian, as x86 requires */
	if (migstream_writer_put_image_header(w, &ih, sizeof ih) != 0)
		return fail(w, "image header");
	memset(&dh, 0, sizeof dh);
	dh.type = MIGSTREAM_DOMAIN_X86_HVM;
	dh.page_shift = 12;
	dh.xen_major = 4;                   /* the producing Xen version */
	dh.xen_minor = 19;
	if (migstream_writer_put_domain_header(w, &dh, sizeof dh) != 0)
		return fail(w, "domain header");

	/* Static data: the CPU policy the guest was given, then
	 * STATIC_DATA_END, before any memory or register content. */
	memset(leaves, 0, sizeof leaves);
	leaves[0].leaf = 0;                 /* max basic leaf, vendor */
	leaves[0].subleaf = 0xFFFFFFFFu;    /* no subleaves */
	leaves[0].a = 0xd;
	leaves[0].b = 0x756e6547;           /* "GenuineIntel" */
	leaves[0].d = 0x49656e69;
	leaves[0].c = 0x6c65746e;
	leaves[1].leaf = 7;
	leaves[1].subleaf = 0;
	leaves[1].b = 0x029c6fbf;
	if (migstream_writer_put_cpuid_policy(w, leaves, 2, sizeof leaves[0]) != 0)
		return fail(w, "X86_CPUID_POLICY");
	memset(&msr, 0, sizeof msr);
	msr.idx = 0xCE;                     /* MSR_PLATFORM_INFO */
	msr.flags = 0;                      /* must be zero */
	msr.val = 0;
	if (migstream_writer_put_msr_policy(w, &msr, 1, sizeof msr) != 0)
		return fail(w, "X86_MSR_POLICY");
	if (migstream_writer_put_static_data_end(w) != 0)
		return fail(w, "STATIC_DATA_END");

	/* Memory.  One PAGE_DATA per batch: pfns with their types, and one
	 * 4096-octet buffer per page that carries data.  The writer sends the
	 * pages straight from these buffers (writev), as a saver sends them
	 * from its mapping of guest memory. */
	for (i = 0; i < 4; i++) {
		pfns[i] = i;                    /* low memory */
		types[i] = MIGSTREAM_PAGE_NOTAB;
		memset(pages[i], 0x10 + i, sizeof pages[i]);
		data[i] = pages[i];
	}
	if (migstream_writer_put_page_data(w, 4, pfns, types, data) != 0)
		return fail(w, "PAGE_DATA (low memory)");

	/* A batch with the rings, and two pfns that are not populated in
	 * the guest (XTAB: no data follows for them). */
	pfns[0] = STORE_PFN;
	types[0] = MIGSTREAM_PAGE_NOTAB;
	pfns[1] = CONSOLE_PFN;
	types[1] = MIGSTREAM_PAGE_NOTAB;
	pfns[2] = 0xa0;
	types[2] = MIGSTREAM_PAGE_XTAB;
	pfns[3] = 0xa1;
	types[3] = MIGSTREAM_PAGE_XTAB;
	memset(pages[4], 0, sizeof pages[4]);
	memset(pages[5], 0, sizeof pages[5]);
	data[0] = pages[4];                 /* one pointer per data page only */
	data[1] = pages[5];
	if (migstream_writer_put_page_data(w, 4, pfns, types, data) != 0)
		return fail(w, "PAGE_DATA (rings)");

	/* Register and platform state. */
	memset(&tsc, 0, sizeof tsc);
	tsc.mode = 0;                       /* default */
	tsc.khz = 2000000;
	tsc.nsec = 312500000;
	tsc.incarnation = 1;
	if (migstream_writer_put_tsc_info(w, &tsc, sizeof tsc) != 0)
		return fail(w, "X86_TSC_INFO");

	/* Parameters first, the spec's order (format.md 17): the store and
	 * console pfns name pages sent above. */
	idx[0] = 1;                         /* HVM_PARAM_STORE_PFN */
	val[0] = STORE_PFN;
	idx[1] = 17;                        /* HVM_PARAM_CONSOLE_PFN */
	val[1] = CONSOLE_PFN;
	if (migstream_writer_put_hvm_params(w, 2, idx, val) != 0)
		return fail(w, "HVM_PARAMS");
	if (migstream_writer_put_hvm_context(w, hvm_context, sizeof hvm_context) != 0)
		return fail(w, "HVM_CONTEXT");

	if (migstream_writer_put_end(w) != 0)
		return fail(w, "END");
	return 0;
}

int main(int argc, char **argv)
{
	migstream_writer *w;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: write-hvm FILE|-\n");
		return 2;
	}
	w = migstream_writer_new();
	if (w == NULL) {
		fprintf(stderr, "write-hvm: out of memory\n");
		return 1;
	}
	if (strcmp(argv[1], "-") == 0)
		rc = migstream_writer_open_fd(w, 1);
	else
		rc = migstream_writer_open_path(w, argv[1]);   /* refuses an existing file */
	if (rc != 0) {
		fprintf(stderr, "write-hvm: %s: %s\n", argv[1], migstream_writer_errmsg(w));
		migstream_writer_free(w);
		return 1;
	}
	rc = write_stream(w);
	/* close reports whether every octet reached the sink (and whether
	 * the stream is complete): check it, a full disk shows up here. */
	if (migstream_writer_close(w) != 0 && rc == 0)
		rc = fail(w, "close");
	migstream_writer_free(w);
	return rc;
}
