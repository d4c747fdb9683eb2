/*
 * print-records: list the records of a Xen save/migration stream.
 *
 *   print-records FILE     read FILE
 *   print-records [-]      read standard input (a pipe works too)
 *
 * Prints the headers, then one line per record: its ordinal within its
 * layer, stream offset, layer, type, body length and the main decoded
 * fields.
 * Warnings and errors go to standard error as "severity RULE: message".
 * Exit status: 0 if the stream is valid, 1 if it is not, 2 on a usage error.
 *
 * This is meant to be copied.  It uses only the public header <migstream.h>
 * and shows the usual pattern: new -> options -> open -> next() loop ->
 * free, with findings collected through a diagnostic handler.
 *
 * Build against an installed library:
 *   cc -o print-records print-records.c $(pkg-config --cflags --libs libmigstream)
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <migstream.h>

/* Diagnostic handler: the library calls it once for every finding, in
 * stream order.  The strings belong to the reader, so print (or copy) them
 * here.  It must not call back into the reader.  Informational findings
 * (facts about the stream, never a problem) are left out. */
static void print_diag(void *ctx, const migstream_diag *d)
{
	unsigned *errors = ctx;

	if (d->severity == MIGSTREAM_SEV_INFO)
		return;
	if (d->severity == MIGSTREAM_SEV_ERROR)
		(*errors)++;
	/* rule is "" for findings no spec rule covers (I/O errors, say). */
	fprintf(stderr, "%s%s%s: %s\n", migstream_severity_name(d->severity),
	        d->rule[0] ? " " : "", d->rule, d->message);
}

/* The libxc image and domain headers; non-zero if the reader has not seen
 * them yet. */
static int print_headers(migstream_reader *r)
{
	migstream_image_header ih;
	migstream_domain_header dh;

	/* Structs are passed with their size, so they can grow in later
	 * versions without breaking this program. */
	if (migstream_reader_get_image_header(r, &ih, sizeof ih) != 0 ||
	    migstream_reader_get_domain_header(r, &dh, sizeof dh) != 0)
		return -1;
	printf("image header: version %" PRIu32 ", %s-endian, options 0x%04" PRIx16 "\n",
	       ih.version, (ih.options & 1) ? "big" : "little", ih.options);
	printf("domain header: %s, page_shift %" PRIu16 ", saved by Xen %" PRIu32 ".%" PRIu32
	       "\n",
	       dh.type == MIGSTREAM_DOMAIN_X86_PV ? "x86 PV" :
	       dh.type == MIGSTREAM_DOMAIN_X86_HVM ? "x86 HVM/PVH" : "unknown type",
	       dh.page_shift, dh.xen_major, dh.xen_minor);
	return 0;
}

/* The outer headers of an xl save file or libxl stream, if present. */
static void print_outer_headers(migstream_reader *r)
{
	migstream_xl_header xh;
	migstream_libxl_header lh;

	if (migstream_reader_get_xl_header(r, &xh, sizeof xh) == 0)
		printf("xl header: mandatory flags 0x%" PRIx32 ", %" PRIu32
		       " octets of optional data\n", xh.mandatory_flags, xh.optional_data_len);
	if (migstream_reader_get_libxl_header(r, &lh, sizeof lh) == 0)
		printf("libxl header: version %" PRIu32 ", options 0x%" PRIx32 "\n",
		       lh.version, lh.options);
}

static const char *layer_name(uint32_t layer)
{
	switch (layer) {
	case MIGSTREAM_LAYER_XL:    return "xl";
	case MIGSTREAM_LAYER_LIBXL: return "libxl";
	case MIGSTREAM_LAYER_LIBXC: return "libxc";
	default:                    return "?";
	}
}

/* Decoded fields of the main record types, after the common columns. */
static void print_fields(const migstream_record *rec)
{
	uint32_t n, pages, type;
	uint64_t pfn;

	if (migstream_record_layer(rec) != MIGSTREAM_LAYER_LIBXC)
		return;

	switch (migstream_record_type(rec)) {
	case MIGSTREAM_REC_PAGE_DATA: {
		/* The pfn array is parsed by next(); the 4 KiB pages are only
		 * touched if asked for (migstream_record_get_page() or
		 * migstream_reader_read_pages()), so listing is cheap. */
		if (migstream_record_count(rec, &n) == 0 &&
		    migstream_record_data_page_count(rec, &pages) == 0 &&
		    migstream_record_get_pfn(rec, 0, &pfn, &type) == 0)
			printf("  entries %" PRIu32 ", data pages %" PRIu32 ", first pfn 0x%" PRIx64
			       " (%s)", n, pages, pfn, migstream_page_type_name(type));
		break;
	}
	case MIGSTREAM_REC_X86_PV_INFO: {
		migstream_x86_pv_info info;

		if (migstream_record_get_x86_pv_info(rec, &info, sizeof info) == 0)
			printf("  guest width %u, %u page-table levels",
			       (unsigned)info.guest_width, (unsigned)info.pt_levels);
		break;
	}
	case MIGSTREAM_REC_X86_PV_P2M_FRAMES: {
		uint32_t start, end;

		if (migstream_record_get_p2m_range(rec, &start, &end) == 0 &&
		    migstream_record_count(rec, &n) == 0)
			printf("  pfns 0x%" PRIx32 "-0x%" PRIx32 ", %" PRIu32 " frames", start, end, n);
		break;
	}
	case MIGSTREAM_REC_X86_TSC_INFO: {
		migstream_tsc_info tsc;

		if (migstream_record_get_tsc_info(rec, &tsc, sizeof tsc) == 0)
			printf("  mode %" PRIu32 ", %" PRIu32 " kHz, nsec %" PRIu64
			       ", incarnation %" PRIu32, tsc.mode, tsc.khz, tsc.nsec, tsc.incarnation);
		break;
	}
	case MIGSTREAM_REC_HVM_PARAMS:
	case MIGSTREAM_REC_X86_CPUID_POLICY:
	case MIGSTREAM_REC_X86_MSR_POLICY:
		if (migstream_record_count(rec, &n) == 0)
			printf("  %" PRIu32 " entries", n);
		break;
	case MIGSTREAM_REC_X86_PV_VCPU_BASIC:
	case MIGSTREAM_REC_X86_PV_VCPU_EXTENDED:
	case MIGSTREAM_REC_X86_PV_VCPU_XSAVE:
	case MIGSTREAM_REC_X86_PV_VCPU_MSRS: {
		uint32_t vcpu;
		size_t len;

		/* The context blob is x86 hypervisor ABI, passed through as is. */
		if (migstream_record_get_vcpu(rec, &vcpu, NULL, NULL, &len) == 0)
			printf("  vcpu %" PRIu32 ", context %zu octets", vcpu, len);
		break;
	}
	default:
		break;
	}
}

static int usage(void)
{
	fprintf(stderr, "usage: print-records [FILE | -]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "-";
	migstream_reader *r;
	const migstream_record *rec;
	unsigned errors = 0;
	int rc, headers_printed = 0;

	if (argc > 2 || (path[0] == '-' && path[1] != '\0'))
		return usage();

	/* 1. A reader with default options (restore mode: reserved fields
	 *    that are not zero are reported as warnings, not rejected). */
	r = migstream_reader_new();
	if (!r) {
		fprintf(stderr, "print-records: out of memory\n");
		return 1;
	}
	migstream_reader_set_diag_handler(r, print_diag, &errors);

	/* 2. Open.  Files and pipes alike; the reader uses lseek to skip
	 *    page data where the source allows it. */
	if (strcmp(path, "-") == 0)
		rc = migstream_reader_open_fd(r, 0);
	else
		rc = migstream_reader_open_path(r, path);
	if (rc != 0) {
		if (errors == 0)
			fprintf(stderr, "print-records: %s: %s\n", path,
			        migstream_reader_errmsg(r));
		migstream_reader_free(r);
		return 1;
	}

	/* 3. Headers (optional: next() would read them anyway). */
	rc = migstream_reader_read_headers(r);
	if (rc == 0) {
		print_outer_headers(r);
		headers_printed = print_headers(r) == 0;
	}

	/* 4. Records.  A record is valid until the next call on the reader.
	 *    A non-fatal error means this record was bad but the framing is
	 *    intact, so a verifier goes on to report the rest; a restorer
	 *    would stop at the first error. */
	while (rc == 0 || (rc < 0 && !migstream_error_is_fatal(rc))) {
		rc = migstream_reader_next(r, &rec);
		if (rc != 0)
			continue;
		/* In an xl or libxl stream the libxc headers come later. */
		if (!headers_printed && migstream_record_layer(rec) == MIGSTREAM_LAYER_LIBXC)
			headers_printed = print_headers(r) == 0;
		printf("%6" PRIu64 "  0x%08" PRIx64 "  %-5s %-26s %10" PRIu32,
		       migstream_record_index(rec), migstream_record_offset(rec),
		       layer_name(migstream_record_layer(rec)),
		       migstream_record_type_name(migstream_record_layer(rec),
		                                  migstream_record_type(rec)),
		       migstream_record_length(rec));
		print_fields(rec);
		putchar('\n');
	}

	/* 5. MIGSTREAM_EOF: the stream ended properly with its END record.
	 *    Rule violations have been reported by print_diag() already;
	 *    anything else (an I/O error, say) is reported here. */
	if (rc != MIGSTREAM_EOF && errors == 0)
		fprintf(stderr, "print-records: %s: %s\n", path, migstream_reader_errmsg(r));
	migstream_reader_free(r);
	if (fflush(stdout) != 0) {
		perror("print-records: stdout");
		return 1;
	}
	return rc == MIGSTREAM_EOF && errors == 0 ? 0 : 1;
}
