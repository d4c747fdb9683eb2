/*
 * copy-stream: copy a libxc save/migration stream record by record.
 *
 *   copy-stream IN OUT     IN and OUT are paths, or "-" for standard
 *                          input / output; an existing OUT is refused
 *
 * Every record is read, verified, and written again; a valid stream comes
 * out octet for octet identical.  Exit status: 0 on success, 1 if the
 * input is invalid or reading/writing failed (the message says what), 2 on
 * a usage error.
 *
 * This is meant to be copied.  It uses only <migstream.h> and shows the
 * restore-style page path: the pfn array comes with the record, and the
 * page contents are read with migstream_reader_read_pages() straight into
 * the caller's buffer (here a bounce buffer; a restorer passes its mapping
 * of guest memory), then handed to the writer, which sends them with
 * writev without copying.
 *
 * Build against an installed library:
 *   cc -o copy-stream copy-stream.c $(pkg-config --cflags --libs libmigstream)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <migstream.h>

struct copy {
	migstream_reader *r;
	migstream_writer *w;
	/* Reused across PAGE_DATA records; grown as needed. */
	uint64_t *pfns;
	uint32_t *types;
	void **pages;
	unsigned char *buf;
	uint32_t cap_entries, cap_pages;
};

static int reader_error(const struct copy *c, const char *what)
{
	fprintf(stderr, "copy-stream: reading %s: %s\n", what, migstream_reader_errmsg(c->r));
	return 1;
}

static int writer_error(const struct copy *c, const char *what)
{
	fprintf(stderr, "copy-stream: writing %s: %s\n", what, migstream_writer_errmsg(c->w));
	return 1;
}

static int grow(struct copy *c, uint32_t count, uint32_t npages)
{
	if (count > c->cap_entries) {
		uint64_t *p = realloc(c->pfns, count * sizeof *p);
		uint32_t *t = p ? realloc(c->types, count * sizeof *t) : NULL;

		if (p)
			c->pfns = p;
		if (t)
			c->types = t;
		if (!p || !t)
			return -1;
		c->cap_entries = count;
	}
	if (npages > c->cap_pages) {
		void **v = realloc(c->pages, npages * sizeof *v);
		unsigned char *b = v ? realloc(c->buf, (size_t)npages * MIGSTREAM_PAGE_SIZE) : NULL;
		uint32_t i;

		if (v)
			c->pages = v;
		if (!v || !b)
			return -1;
		c->buf = b;
		c->cap_pages = npages;
		for (i = 0; i < npages; i++)
			c->pages[i] = c->buf + (size_t)i * MIGSTREAM_PAGE_SIZE;
	}
	return 0;
}

static int copy_page_data(struct copy *c, const migstream_record *rec)
{
	uint32_t count, npages, i;

	if (migstream_record_count(rec, &count) != 0 ||
	    migstream_record_data_page_count(rec, &npages) != 0)
		return reader_error(c, "PAGE_DATA");
	if (grow(c, count, npages) != 0) {
		fprintf(stderr, "copy-stream: out of memory\n");
		return 1;
	}
	for (i = 0; i < count; i++)
		if (migstream_record_get_pfn(rec, i, &c->pfns[i], &c->types[i]) != 0)
			return reader_error(c, "PAGE_DATA");
	/* The data-carrying pages, in entry order, into our buffers. */
	if (npages > 0 && migstream_reader_read_pages(c->r, c->pages, npages) != 0)
		return reader_error(c, "page contents");
	if (migstream_writer_put_page_data(c->w, count, c->pfns, c->types,
	                                   (const void *const *)c->pages) != 0)
		return writer_error(c, "PAGE_DATA");
	return 0;
}

static int copy_all(struct copy *c)
{
	migstream_image_header ih;
	migstream_domain_header dh;
	const migstream_record *rec;
	int rc;

	/* Headers: read, then written with the same values. */
	if (migstream_reader_read_headers(c->r) != 0)
		return reader_error(c, "headers");
	if (migstream_reader_get_image_header(c->r, &ih, sizeof ih) != 0 ||
	    migstream_reader_get_domain_header(c->r, &dh, sizeof dh) != 0)
		return reader_error(c, "headers (not a bare libxc image?)");
	if (migstream_writer_put_image_header(c->w, &ih, sizeof ih) != 0)
		return writer_error(c, "image header");
	if (migstream_writer_put_domain_header(c->w, &dh, sizeof dh) != 0)
		return writer_error(c, "domain header");

	while ((rc = migstream_reader_next(c->r, &rec)) == 0) {
		uint32_t type = migstream_record_type(rec);
		const void *body;
		size_t len;

		if (type == MIGSTREAM_REC_PAGE_DATA) {
			if (copy_page_data(c, rec) != 0)
				return 1;
			continue;
		}
		/* Everything else: the body as it is (the writer validates it
		 * as the reader did, and writes header and padding). */
		body = migstream_record_body(rec, &len);
		if (migstream_writer_put_record(c->w, type, body, (uint32_t)len) != 0)
			return writer_error(c, migstream_record_type_name(MIGSTREAM_LAYER_LIBXC, type));
	}
	if (rc != MIGSTREAM_EOF)
		return reader_error(c, "a record");
	return 0;
}

int main(int argc, char **argv)
{
	struct copy c;
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: copy-stream IN|- OUT|-\n");
		return 2;
	}
	memset(&c, 0, sizeof c);
	c.r = migstream_reader_new();
	c.w = migstream_writer_new();
	if (c.r == NULL || c.w == NULL) {
		fprintf(stderr, "copy-stream: out of memory\n");
		migstream_reader_free(c.r);
		migstream_writer_free(c.w);
		return 1;
	}

	rc = strcmp(argv[1], "-") == 0 ? migstream_reader_open_fd(c.r, 0)
	                              : migstream_reader_open_path(c.r, argv[1]);
	if (rc != 0) {
		rc = reader_error(&c, argv[1]);
		goto out;
	}
	rc = strcmp(argv[2], "-") == 0 ? migstream_writer_open_fd(c.w, 1)
	                              : migstream_writer_open_path(c.w, argv[2]);
	if (rc != 0) {
		rc = writer_error(&c, argv[2]);
		goto out;
	}
	rc = copy_all(&c);
	/* 0 only if END was written and every octet reached the output. */
	if (migstream_writer_close(c.w) != 0 && rc == 0)
		rc = writer_error(&c, argv[2]);
out:
	migstream_reader_free(c.r);
	migstream_writer_free(c.w);
	free(c.pfns);
	free(c.types);
	free(c.pages);
	free(c.buf);
	return rc;
}
