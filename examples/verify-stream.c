/*
 * verify-stream: check that a Xen save/migration stream is valid.
 *
 *   verify-stream FILE     verify FILE
 *   verify-stream [-]      verify standard input (a pipe works too)
 *
 * Prints one line per finding ("error PAGE-6: libxc record 3 (PAGE_DATA
 * 0x00000001) at offset 0x58: ...") and goes on after a bad record as long
 * as the framing holds, so every bad record is reported.
 * Exit status: 0 valid, 1 invalid, 2 usage or I/O error.
 *
 * This is meant to be copied: it is the smallest complete verifier.  The
 * reader checks every rule as it reads; the program only has to drive
 * migstream_reader_next() to the end and look at the result.
 *
 * Build against an installed library:
 *   cc -o verify-stream verify-stream.c $(pkg-config --cflags --libs libmigstream)
 */
#include <stdio.h>
#include <string.h>

#include <migstream.h>

/* Findings arrive here, in stream order, while next() runs. */
static void on_diag(void *ctx, const migstream_diag *d)
{
	unsigned *errors = ctx;

	if (d->severity == MIGSTREAM_SEV_INFO)
		return;                   /* facts, not problems */
	if (d->severity == MIGSTREAM_SEV_ERROR)
		(*errors)++;
	fprintf(stderr, "%s %s: %s\n", migstream_severity_name(d->severity), d->rule,
	        d->message);
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "-";
	const migstream_record *rec;
	migstream_reader *r;
	unsigned errors = 0;
	int rc;

	if (argc > 2) {
		fprintf(stderr, "usage: verify-stream [FILE | -]\n");
		return 2;
	}
	r = migstream_reader_new();
	if (!r)
		return 2;
	/* Strict: reserved fields and padding must be zero, as Xen's own
	 * verifier wants.  The default (restore) mode would accept them with
	 * a warning, as Xen's restore does. */
	migstream_reader_set_option(r, MIGSTREAM_OPT_MODE, MIGSTREAM_MODE_STRICT);
	migstream_reader_set_diag_handler(r, on_diag, &errors);

	rc = strcmp(path, "-") == 0 ? migstream_reader_open_fd(r, 0)
	                            : migstream_reader_open_path(r, path);
	if (rc != 0) {
		fprintf(stderr, "verify-stream: %s: %s\n", path, migstream_reader_errmsg(r));
		migstream_reader_free(r);
		return 2;
	}

	/* A record-level error (not fatal) leaves the framing intact: call
	 * next() again to find the next bad record.  A fatal one ends it. */
	do {
		rc = migstream_reader_next(r, &rec);
	} while (rc == 0 || (rc < 0 && !migstream_error_is_fatal(rc)));

	/* MIGSTREAM_EOF: the final END was read and nothing follows it.
	 * Failures that are not rule findings (I/O errors) are only in
	 * errmsg. */
	if (rc != MIGSTREAM_EOF && errors == 0)
		fprintf(stderr, "verify-stream: %s: %s\n", path, migstream_reader_errmsg(r));
	migstream_reader_free(r);
	if (rc == MIGSTREAM_E_IO || rc == MIGSTREAM_E_NOMEM)
		return 2;
	if (rc != MIGSTREAM_EOF || errors) {
		fprintf(stderr, "verify-stream: %s: invalid\n", path);
		return 1;
	}
	printf("%s: valid\n", path);
	return 0;
}
