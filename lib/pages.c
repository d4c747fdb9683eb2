/*
 * pages.c: the owner of PAGE_DATA contents on the reader's side (see
 * pages.h): the pfn array and its geometry, one data-page cursor, lazy
 * loading, the deep checks of contents as they pass, skipping at finish.
 */
#include "config.h"

#include <string.h>
#include <sys/uio.h>

#include "private.h"
#include "fail.h"
#include "pages.h"

void ms_pages_init(struct ms_pages *pg, migstream_reader *r)
{
	memset(pg, 0, sizeof *pg);
	pg->r = r;
	pg->in_memory = 1;
}

void ms_pages_free(struct ms_pages *pg)
{
	ms_free(pg->copy);
	pg->copy = NULL;
	pg->copy_cap = 0;
}

int ms_pages_keep_array(struct ms_pages *pg, struct migstream_record *rec, size_t len)
{
	/* The pfn array must outlive the buffer, which page contents pass
	 * through: keep a copy (8 octets per entry, next to 4096 of data). */
	if (len > pg->copy_cap) {
		uint8_t *nc = ms_realloc(pg->copy, len);
		if (!nc)
			return ms_io_fail(pg->r, MIGSTREAM_E_NOMEM, 0);
		pg->copy = nc;
		pg->copy_cap = len;
	}
	memcpy(pg->copy, rec->body, len);
	rec->body = pg->copy;
	return 0;
}

void ms_pages_begin(struct ms_pages *pg, struct migstream_record *rec, int broken, int in_memory)
{
	pg->done = 0;
	pg->entry = 0;
	pg->iter_entry = pg->iter_page = 0;
	pg->in_memory = in_memory;
	/* Geometry, safe even for a broken record. */
	if (rec->layer != MIGSTREAM_LAYER_LIBXC || rec->type != MIGSTREAM_REC_PAGE_DATA || rec->avail < 8)
		return;
	uint32_t count = ms_get32(rec->body, rec->be);
	uint64_t max = (rec->avail - 8) / 8;
	rec->count = count <= max ? count : (uint32_t)max;
	uint32_t n = 0;
	for (uint32_t i = 0; i < rec->count; i++)
		n += ms_type_has_data(ms_pfn_entry(rec->body + 8, i, rec->be).type) != 0;
	uint64_t fits = (rec->length - 8 - 8 * (uint64_t)rec->count) / 4096;
	rec->data_pages = (!broken && n <= fits) ? n : 0;
	if (!rec->data_pages)
		pg->in_memory = 1;        /* nothing to deliver: a broken record is skipped */
}

uint32_t ms_pages_left(const struct ms_pages *pg)
{
	return pg->r->rec.data_pages - pg->done;
}

/* Entry index of the first data page at or after entry `from`; count if none. */
static uint32_t next_data_entry(const struct migstream_record *rec, uint32_t from)
{
	for (uint32_t i = from; i < rec->count; i++)
		if (ms_type_has_data(ms_pfn_entry(rec->body + 8, i, rec->be).type))
			return i;
	return rec->count;
}

/* Deep checks of n pages starting at pages[0], which are the data pages
 * that follow the cursor; the cursor moves past them. */
static int check_pages(struct ms_pages *pg, const uint8_t *const *pages, uint32_t n)
{
	migstream_reader *r = pg->r;
	const struct migstream_record *rec = &r->rec;
	int rc = 0;
	for (uint32_t k = 0; k < n; k++) {
		uint32_t i = next_data_entry(rec, pg->entry);
		if (i >= rec->count)
			break;
		pg->entry = i + 1;
		if (!rc) {
			struct ms_pfn e = ms_pfn_entry(rec->body + 8, i, rec->be);
			rc = ms_libxc_page(&r->xc, &r->ctx, e.pfn, e.type, pages[k]);
		}
	}
	return rc;
}

int ms_pages_finish(struct ms_pages *pg)
{
	migstream_reader *r = pg->r;
	struct migstream_record *rec = &r->rec;
	int err_no = 0, rc = 0;

	if (pg->in_memory) {
		/* Memory source or loaded: check what was not checked yet. */
		uint32_t left = rec->data_pages - pg->done;
		if (left && ms_libxc_wants_pages(&r->xc)) {
			for (uint32_t k = 0; k < left && !rc; k++) {
				const uint8_t *p = rec->body + 8 + 8 * (size_t)rec->count +
				                   4096 * (size_t)(pg->done + k);
				rc = check_pages(pg, &p, 1);
			}
		}
		ms_src_consume(&r->src, r->rec_consume);
		r->rec_consume = 0;
		return rc;
	}

	/* Lazy PAGE_DATA from a stream: header and pfns may still be in the buffer. */
	ms_src_consume(&r->src, r->rec_consume);
	r->rec_consume = 0;
	uint64_t left = (uint64_t)(rec->data_pages - pg->done) * 4096;
	/* Pages nobody reads: a seekable source jumps over them and a pipe
	 * splices them away, so read ahead little; anything else reads through
	 * them, in large blocks. */
	if (left)
		r->src.ra_small = (r->src.kind == MS_SRC_FD && (r->src.seekable || r->src.is_pipe)) ||
		                  (r->src.kind == MS_SRC_IO && r->src.io.skip);
	uint32_t pad = ms_pad8(rec->length);
	if (left && ms_libxc_wants_pages(&r->xc)) {
		while (left) {
			const uint8_t *p;
			size_t avail;
			int e = ms_src_peek(&r->src, 4096, &p, &avail, &err_no);
			if (e)
				return ms_io_fail(r, e, err_no);
			if (avail < 4096)
				return ms_truncated(r, R_REC_1, r->src.pos + avail, "inside PAGE_DATA page contents");
			if (!rc)
				rc = check_pages(pg, &p, 1);
			ms_src_consume(&r->src, 4096);
			left -= 4096;
			pg->done++;
		}
	}
	uint64_t done;
	int e = ms_src_skip(&r->src, left + pad, &done, &err_no);
	if (e)
		return ms_io_fail(r, e, err_no);
	if (done < left + pad)
		return ms_truncated(r, R_REC_1, r->src.pos, "inside PAGE_DATA page contents");
	return rc;
}

int ms_pages_read(struct ms_pages *pg, void *const pages[], uint32_t n)
{
	migstream_reader *r = pg->r;
	const struct migstream_record *rec = &r->rec;
	int rc = 0;
	if (pg->in_memory) {
		const uint8_t *base = rec->body + 8 + 8 * (size_t)rec->count;
		for (uint32_t k = 0; k < n; k++) {
			const uint8_t *p = base + 4096 * (size_t)(pg->done + k);
			memcpy(pages[k], p, 4096);
			if (!rc && ms_libxc_wants_pages(&r->xc))
				rc = check_pages(pg, &p, 1);
		}
		pg->done += n;
		return rc;
	}
	r->src.ra_small = 1;          /* the caller restores: keep pages out of the buffer */
	/* First page read from a stream: consume header and pfn array, whose
	 * octets stay in the buffer (rec->body) until the next peek... which
	 * readv never does: it only drains the buffer. */
	ms_src_consume(&r->src, r->rec_consume);
	r->rec_consume = 0;
	struct iovec iov[256];
	uint32_t k = 0;
	while (k < n) {
		/* Up to 1 MiB per readv; pages adjacent in memory share an iovec. */
		uint32_t batch = n - k < 256 ? n - k : 256, segs = 0;
		for (uint32_t j = 0; j < batch; j++) {
			uint8_t *p = pages[k + j];
			if (segs && (uint8_t *)iov[segs - 1].iov_base + iov[segs - 1].iov_len == p) {
				iov[segs - 1].iov_len += 4096;
				continue;
			}
			iov[segs].iov_base = p;
			iov[segs].iov_len = 4096;
			segs++;
		}
		size_t done;
		int err_no = 0;
		int e = ms_src_readv(&r->src, iov, (int)segs, (size_t)batch * 4096, &done, &err_no);
		if (e)
			return ms_io_fail(r, e, err_no);
		if (done < (size_t)batch * 4096)
			return ms_truncated(r, R_REC_1, r->src.pos, "inside PAGE_DATA page contents");
		if (!rc && ms_libxc_wants_pages(&r->xc))
			rc = check_pages(pg, (const uint8_t *const *)&pages[k], batch);
		pg->done += batch;
		k += batch;
	}
	return rc;
}

/* Load the remaining body of a lazy PAGE_DATA into the buffer (get_page). */
static int load(struct ms_pages *pg)
{
	migstream_reader *r = pg->r;
	struct migstream_record *rec = &r->rec;
	if (pg->in_memory)
		return 0;
	if (pg->done)
		return MIGSTREAM_E_STATE;
	const uint8_t *p;
	size_t avail;
	int err_no = 0;
	size_t need = MS_RHDR_SIZE + (size_t)rec->length;
	int e = ms_src_peek(&r->src, need, &p, &avail, &err_no);
	if (e)
		return ms_io_fail(r, e, err_no);
	if (avail < need)
		return ms_truncated(r, R_REC_1, r->src.pos + avail, "inside PAGE_DATA page contents");
	rec->body = p + MS_RHDR_SIZE;
	rec->avail = rec->length;
	pg->in_memory = 1;
	r->rec_consume = need + ms_pad8(rec->length);
	return 0;
}

int ms_pages_view(struct ms_pages *pg, const struct migstream_record *rec, uint32_t i, const void **page)
{
	migstream_reader *r = pg->r;
	if (&r->rec != rec || !r->rec_live)
		return MIGSTREAM_E_STATE;
	int rc = load(pg);
	if (rc)
		return rc;
	/* Data page ordinal of entry i: count data entries before it, resuming
	 * from the last lookup when iterating forwards. */
	uint32_t from = 0, k = 0;
	if (pg->iter_entry <= i) {
		from = pg->iter_entry;
		k = pg->iter_page;
	}
	for (uint32_t j = from; j < i; j++)
		k += ms_type_has_data(ms_pfn_entry(rec->body + 8, j, rec->be).type) != 0;
	pg->iter_entry = i;
	pg->iter_page = k;
	if (k >= rec->data_pages)
		return MIGSTREAM_E_RANGE;
	*page = rec->body + 8 + 8 * (size_t)rec->count + 4096 * (size_t)k;
	return 0;
}
