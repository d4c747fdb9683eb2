/*
 * pages.c: the owner of PAGE_DATA contents on the reader's side (see
 * pages.h): the pfn array and its geometry, one data-page cursor, lazy
 * loading, the deep checks of contents as they pass, skipping at finish.
 */
#include "config.h"

#include <string.h>
#include <sys/uio.h>

#include "reader.h"
#include "wire.h"
#include "alloc.h"
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
	ms_free(pg->index);
	ms_free(pg->buf);
	pg->copy = NULL;
	pg->copy_cap = 0;
	pg->index = NULL;
	pg->index_n = pg->index_cap = 0;
	pg->buf = NULL;
}

/* Can the source read at an offset (memory, a regular file)? */
static int seekable(const struct ms_pages *pg)
{
	const struct ms_source *s = &pg->r->src;
	return s->kind == MS_SRC_MEM || (s->kind == MS_SRC_FD && s->seekable);
}

/* Are all data pages checked as they pass (pipes, callbacks, a full
 * index)?  Otherwise only the page tables are. */
static int passing(const struct ms_pages *pg)
{
	return !seekable(pg) || pg->overflow;
}

void ms_pages_restart(struct ms_pages *pg)
{
	pg->index_n = 0;
	pg->overflow = 0;
	pg->fed = 0;
	pg->memo_pfn = 0;
}

#ifdef MIGSTREAM_TESTING
/* Test library only: a smaller index, so tests reach its bound. */
static size_t index_max = MS_PAGE_INDEX_MAX;
void migstream__test_page_index_max(size_t n)
{
	index_max = n ? n : MS_PAGE_INDEX_MAX;
}
#define INDEX_MAX index_max
#else
#define INDEX_MAX MS_PAGE_INDEX_MAX
#endif

/* Remember a PAGE_DATA whose NOTAB data pages span pfns lo..hi. */
static int remember(struct ms_pages *pg, uint64_t offset, uint64_t lo, uint64_t hi)
{
	if (pg->index_n >= INDEX_MAX) {
		pg->overflow = 1;
		return 0;
	}
	if (pg->index_n == pg->index_cap) {
		size_t cap = pg->index_cap ? 2 * pg->index_cap : 64;
		struct ms_page_rec *ni = ms_realloc(pg->index, cap * sizeof *ni);
		if (!ni)
			return ms_io_fail(pg->r, MIGSTREAM_E_NOMEM, 0);
		pg->index = ni;
		pg->index_cap = cap;
	}
	pg->index[pg->index_n].offset = offset;
	pg->index[pg->index_n].lo = lo;
	pg->index[pg->index_n].hi = hi;
	pg->index_n++;
	return 0;
}

int ms_pages_lazy(struct ms_pages *pg, const struct migstream_record *rec, size_t *need, int *lazy)
{
	migstream_reader *r = pg->r;
	const uint8_t *p;
	size_t avail;
	int err_no = 0;
	*lazy = 0;
	/* A source read unit by unit holds the whole record already, unless
	 * it ended first: then it holds all there is, and the record is read
	 * as from a blocking one (its pages fail where they are cut). */
	if (rec->length < 8 || ms_src_is_memory(&r->src) || (ms_src_unitwise(&r->src) && !r->src.eof))
		return 0;
	int e = ms_src_peek(&r->src, MS_RHDR_SIZE + 8, &p, &avail, &err_no);
	if (e)
		return ms_io_fail(r, e, err_no);
	if (avail < MS_RHDR_SIZE + 8)
		return ms_truncated(r, R_REC_1, ms_src_pos(&r->src) + avail, "inside a PAGE_DATA record");
	uint64_t pfns = 8 + 8 * (uint64_t)ms_get32(p + MS_RHDR_SIZE, rec->be);
	if (pfns < rec->length) {
		*need = MS_RHDR_SIZE + (size_t)pfns;
		*lazy = 1;
	}
	return 0;
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

int ms_pages_begin(struct ms_pages *pg, struct migstream_record *rec, int broken, int in_memory)
{
	pg->done = 0;
	pg->entry = 0;
	pg->iter_entry = pg->iter_page = 0;
	pg->in_memory = in_memory;
	/* Geometry, safe even for a broken record. */
	if (rec->layer != MIGSTREAM_LAYER_LIBXC || rec->type != MIGSTREAM_REC_PAGE_DATA || rec->avail < 8)
		return 0;
	uint32_t count = ms_get32(rec->body, rec->be);
	uint64_t max = (rec->avail - 8) / 8;
	rec->count = count <= max ? count : (uint32_t)max;
	uint32_t n = 0;
	uint64_t lo = UINT64_MAX, hi = 0;
	for (uint32_t i = 0; i < rec->count; i++) {
		struct ms_pfn e = ms_pfn_entry(rec->body + 8, i, rec->be);
		if (!ms_type_has_data(e.type))
			continue;
		n++;
		if (e.type == MIGSTREAM_PAGE_NOTAB) {
			lo = e.pfn < lo ? e.pfn : lo;
			hi = e.pfn > hi ? e.pfn : hi;
		}
	}
	uint64_t fits = (rec->length - 8 - 8 * (uint64_t)rec->count) / 4096;
	rec->data_pages = (!broken && n <= fits) ? n : 0;
	if (!rec->data_pages) {
		pg->in_memory = 1;        /* nothing to deliver: a broken record is skipped */
		return 0;
	}
	if (lo <= hi && !passing(pg) && ms_libxc_wants_pages(&pg->r->xc))
		return remember(pg, rec->offset, lo, hi);
	return 0;
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
		struct ms_pfn e = ms_pfn_entry(rec->body + 8, i, rec->be);
		if (!passing(pg) && !ms_type_is_pagetable(e.type))
			continue;
		if (!rc)
			rc = ms_libxc_page(&r->xc, &r->ctx, e.pfn, e.type, pages[k]);
	}
	return rc;
}

/* Skip n octets of the current record's contents. */
static int skip(struct ms_pages *pg, uint64_t n)
{
	migstream_reader *r = pg->r;
	uint64_t done;
	int err_no = 0;
	int e = ms_src_skip(&r->src, n, &done, &err_no);
	if (e)
		return ms_io_fail(r, e, err_no);
	if (done < n)
		return ms_truncated(r, R_REC_1, ms_src_pos(&r->src), "inside PAGE_DATA page contents");
	return 0;
}

/* Memory source or loaded: check what was not checked yet. */
static int finish_in_memory(struct ms_pages *pg)
{
	migstream_reader *r = pg->r;
	const struct migstream_record *rec = &r->rec;
	int rc = 0;
	if (ms_libxc_wants_pages(&r->xc)) {
		const uint8_t *base = rec->body + 8 + 8 * (size_t)rec->count;
		while (pg->done < rec->data_pages && !rc) {
			const uint8_t *p = base + 4096 * (size_t)pg->done++;
			rc = check_pages(pg, &p, 1);
		}
	}
	ms_src_consume(&r->src, r->rec_consume);
	r->rec_consume = 0;
	return rc;
}

/* On a source that reads back, is the next data page one the checks do
 * not read as it passes (anything but a page table)?  It is then passed. */
static int pass_unread(struct ms_pages *pg)
{
	const struct migstream_record *rec = &pg->r->rec;
	if (passing(pg))
		return 0;
	uint32_t i = next_data_entry(rec, pg->entry);
	if (i >= rec->count || ms_type_is_pagetable(ms_pfn_entry(rec->body + 8, i, rec->be).type))
		return 0;
	pg->entry = i + 1;
	pg->done++;
	return 1;
}

/* Check the next data pages as they pass the source, as many as the
 * read-ahead buffer holds (at least one): 0 (the first finding, if any, in
 * *rc) or a fatal code. */
static int check_passing(struct ms_pages *pg, int *rc)
{
	migstream_reader *r = pg->r;
	const struct migstream_record *rec = &r->rec;
	const uint8_t *p;
	size_t avail;
	int err_no = 0;
	int e = ms_src_peek(&r->src, 4096, &p, &avail, &err_no);
	if (e)
		return ms_io_fail(r, e, err_no);
	if (avail < 4096)
		return ms_truncated(r, R_REC_1, ms_src_pos(&r->src) + avail, "inside PAGE_DATA page contents");
	uint32_t n = rec->data_pages - pg->done;
	if (!passing(pg) || avail / 4096 < n)
		n = passing(pg) ? (uint32_t)(avail / 4096) : 1;
	for (uint32_t k = 0; k < n && !*rc; k++) {
		const uint8_t *q = p + 4096 * (size_t)k;
		*rc = check_pages(pg, &q, 1);
	}
	ms_src_consume(&r->src, 4096 * (size_t)n);
	pg->done += n;
	return 0;
}

/* Lazy PAGE_DATA from a stream (header and pfns may still be in the
 * buffer): check the pages the deep checks read, skip the others. */
static int finish_stream(struct ms_pages *pg)
{
	migstream_reader *r = pg->r;
	const struct migstream_record *rec = &r->rec;
	int rc = 0, e;
	ms_src_consume(&r->src, r->rec_consume);
	r->rec_consume = 0;
	/* Pages nobody reads: a seekable source jumps over them and a pipe
	 * splices them away, so read ahead little; anything else reads through
	 * them, in large blocks, as does a source whose every page the deep
	 * checks see pass. */
	int wants = ms_libxc_wants_pages(&r->xc);
	if (pg->done < rec->data_pages)
		ms_src_read_little(&r->src, !(wants && passing(pg)) && ms_src_skips_cheaply(&r->src));
	uint64_t gap = 0;             /* octets to skip before the next page read */
	while (wants && pg->done < rec->data_pages) {
		if (pass_unread(pg)) {
			gap += 4096;
			continue;
		}
		if ((gap && (e = skip(pg, gap)) != 0) || (e = check_passing(pg, &rc)) != 0)
			return e;
		gap = 0;
	}
	gap += (uint64_t)(rec->data_pages - pg->done) * 4096 + ms_pad8(rec->length);
	e = skip(pg, gap);
	return e ? e : rc;
}

int ms_pages_finish(struct ms_pages *pg)
{
	return pg->in_memory ? finish_in_memory(pg) : finish_stream(pg);
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
	ms_src_read_little(&r->src, 1);          /* the caller restores: keep pages out of the buffer */
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
			return ms_truncated(r, R_REC_1, ms_src_pos(&r->src), "inside PAGE_DATA page contents");
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
		return ms_truncated(r, R_REC_1, ms_src_pos(&r->src) + avail, "inside PAGE_DATA page contents");
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

/* ------------------------------------------------------------------ start_info read-back */

/* Read n octets at stream offset off into buf (all of them, or fail). */
static int read_at(struct ms_pages *pg, uint64_t off, void *buf, size_t n)
{
	migstream_reader *r = pg->r;
	size_t done;
	int err_no = 0;
	int e = ms_src_read_at(&r->src, off, buf, n, &done, &err_no);
	if (e)
		return ms_io_fail(r, e, err_no);
	if (done < n) {
		/* The records were there when they passed: the file shrank. */
		ms_fail(&r->ctx, MIGSTREAM_E_IO, 0, off,
		        "reading back %zu octets at offset 0x%llx: the source ends at 0x%llx (did the file shrink?)",
		        n, (unsigned long long)off, (unsigned long long)(off + done));
		return ms_die(r, MIGSTREAM_E_IO);
	}
	return 0;
}

/* The last NOTAB data page of pfn `want` carrying the start_info magic in
 * the PAGE_DATA record at `offset`, handed to the rules: 1 found, 0 not,
 * or a fatal code.  Entries are read in blocks, last first, so the last
 * copy of a pfn in the record wins, as when pages pass in order. */
static int find_in_record(struct ms_pages *pg, uint64_t offset, uint64_t want)
{
	migstream_reader *r = pg->r;
	int be = r->xc.be, rc;
	uint8_t *blk = pg->buf, *page = pg->buf + 4096;
	if ((rc = read_at(pg, offset, blk, MS_RHDR_SIZE + 8)))
		return rc;
	uint32_t length = ms_get32(blk + 4, be), count = ms_get32(blk + MS_RHDR_SIZE, be);
	if ((uint64_t)length < 8 + 8 * (uint64_t)count)
		return 0;                 /* not what passed: nothing to find */
	uint64_t data = ((uint64_t)length - 8 - 8 * (uint64_t)count) / 4096, after = 0;
	uint64_t arr = offset + MS_RHDR_SIZE + 8, pages = arr + 8 * (uint64_t)count;
	for (uint32_t end = count; end > 0;) {
		uint32_t n = end < 512 ? end : 512, start = end - n;
		if ((rc = read_at(pg, arr + 8 * (uint64_t)start, blk, 8 * (size_t)n)))
			return rc;
		for (uint32_t j = n; j-- > 0;) {
			struct ms_pfn e = ms_pfn_entry(blk, j, be);
			if (!ms_type_has_data(e.type))
				continue;
			after++;
			if (e.pfn != want || e.type != MIGSTREAM_PAGE_NOTAB || after > data)
				continue;
			if ((rc = read_at(pg, pages + 4096 * (data - after), page, 4096)))
				return rc;
			if (memcmp(page, "xen-3.0-", 8) == 0) {
				ms_libxc_page(&r->xc, &r->ctx, e.pfn, e.type, page);
				return 1;
			}
		}
		end = start;
	}
	return 0;
}

/* The read-back buffer: a block of entries, a page, the rules' start_info
 * slots as they were before a page was read back for them. */
#define RING_SIZE (sizeof ((struct ms_libxc *)0)->start_info)
#define BUF_SIZE  (2 * 4096 + RING_SIZE)

int ms_pages_start_info(struct ms_pages *pg)
{
	migstream_reader *r = pg->r;
	uint64_t si;
	if (!seekable(pg) || !pg->index_n || !ms_libxc_start_info_pfn(&r->xc, &si))
		return 0;
	/* After an overflow, a start_info page seen passing is newer than
	 * anything in the index. */
	if (pg->overflow && ms_libxc_has_start_info(&r->xc, si))
		return 0;
	if (!pg->buf && !(pg->buf = ms_malloc(BUF_SIZE)))
		return ms_io_fail(r, MIGSTREAM_E_NOMEM, 0);
	/* The page read back serves these rules only: the slots are put back
	 * afterwards, so that they only ever hold pages seen passing. */
	memcpy(pg->buf + 2 * 4096, r->xc.start_info, RING_SIZE);
	pg->ring_next = r->xc.start_info_next;
	pg->fed = 1;
	/* Records the last look-up for this pfn searched need no second
	 * look: search the newer ones, else use what it found. */
	size_t from = pg->memo_pfn == si + 1 ? pg->memo_n : 0;
	int rc = 0;
	for (size_t k = pg->index_n; k-- > from;) {
		const struct ms_page_rec *x = &pg->index[k];
		if (si < x->lo || si > x->hi)
			continue;
		if ((rc = find_in_record(pg, x->offset, si)) == 1)
			pg->memo_k = k + 1;
		if (rc)
			break;
	}
	if (rc == 0 && from && pg->memo_k)
		rc = find_in_record(pg, pg->index[pg->memo_k - 1].offset, si);
	if (rc == 0 && !from)
		pg->memo_k = 0;
	pg->memo_pfn = si + 1;
	pg->memo_n = pg->index_n;
	ms_locate(r);
	return r->state == MS_ST_FATAL ? r->fatal_code : 0;
}

void ms_pages_start_info_done(struct ms_pages *pg)
{
	if (!pg->fed)
		return;
	memcpy(pg->r->xc.start_info, pg->buf + 2 * 4096, RING_SIZE);
	pg->r->xc.start_info_next = pg->ring_next;
	pg->fed = 0;
}
