/*
 * pages.h: the owner of PAGE_DATA on the reader's side.
 *
 * One place knows the pfn array of the current PAGE_DATA record (a copy
 * when the record is read lazily from a stream), its geometry (entries,
 * data pages), the cursor of the next data page, and how the page
 * contents are delivered (read_pages, get_page), checked by the deep
 * rules as they pass, or skipped when the record is finished.  Records
 * are views: the page accessors of a record ask this owner.
 */
#ifndef MIGSTREAM_PAGES_H
#define MIGSTREAM_PAGES_H

#ifndef MIGSTREAM_BUILDING
#error "pages.h is private to libmigstream"
#endif

#include <stddef.h>
#include <stdint.h>

struct migstream_reader;
struct migstream_record;

/*
 * Deep checks read page contents for two rules: PV-32 (page tables) and
 * PV-29 (the start_info page, found by its magic).  A pipe shows every page
 * once, so every data page is checked as it passes.  A source that can
 * read at an offset (memory, a regular file) checks only the pages typed
 * L1-L4 as they pass and remembers where PAGE_DATA records with NOTAB pages
 * lie; when the state completes (END, CHECKPOINT) it reads back the one
 * start_info page vCPU 0 names.  The index holds at most MS_PAGE_INDEX_MAX
 * records (24 octets each); a stream with more goes on as a pipe from there
 * (every page checked as it passes): the pages of later records are then
 * read, the memory stays bounded.
 */
#define MS_PAGE_INDEX_MAX 65536u

struct ms_page_rec {                  /* a PAGE_DATA with NOTAB data pages */
	uint64_t offset;                  /* stream offset of its record header */
	uint64_t lo, hi;                  /* lowest and highest NOTAB data pfn */
};

struct ms_pages {
	struct migstream_reader *r;       /* the reader whose source holds the pages */
	/* The current PAGE_DATA: data pages [done, data_pages) are still in
	 * the source unless in_memory (the whole body then lies at rec->body). */
	uint32_t done;
	uint32_t entry;                   /* entry index of data page `done` or beyond */
	int in_memory;
	uint32_t iter_entry, iter_page;   /* get_page cursor: entry -> data page ordinal */
	uint8_t *copy;                    /* lazy PAGE_DATA: count, reserved and pfn array */
	size_t copy_cap;
	/* Read-back of the start_info page (seekable sources). */
	struct ms_page_rec *index;
	size_t index_n, index_cap;
	int overflow;                     /* index full: pages checked as they pass */
	uint64_t memo_pfn;                /* last look-up: pfn + 1 (0 none), index size then, */
	size_t memo_n, memo_k;            /* and 1 + the record it was found in (0 none) */
	int fed;                          /* the rules' start_info slots are saved in buf */
	unsigned ring_next;               /* ... and their cursor */
	uint8_t *buf;                     /* a block of pfn entries, a page, the saved slots */
};

#ifdef MIGSTREAM_TESTING
/* Test library only: index at most n records (0: MS_PAGE_INDEX_MAX). */
void migstream__test_page_index_max(size_t n);
#endif

void ms_pages_init(struct ms_pages *pg, struct migstream_reader *r);
void ms_pages_free(struct ms_pages *pg);

/* A libxc PAGE_DATA from a stream is read lazily when it carries page
 * contents: *lazy = 1 and *need = the octets to peek now (record header,
 * count, reserved, pfn array); otherwise *need is left alone (the whole
 * record).  0 or a fatal code (reported). */
int ms_pages_lazy(struct ms_pages *pg, const struct migstream_record *rec, size_t *need, int *lazy);
/* A lazily read PAGE_DATA: keep its first `len` body octets (count,
 * reserved, pfn array) beyond the read-ahead buffer; rec->body then points
 * at the copy.  0 or a fatal code (reported). */
int ms_pages_keep_array(struct ms_pages *pg, struct migstream_record *rec, size_t len);
/* A record was framed: its geometry (entries and data pages; none when
 * `broken`) and fresh cursors; a PAGE_DATA is remembered for read-back.
 * in_memory: the whole body is at rec->body.  0 or a fatal code. */
int ms_pages_begin(struct ms_pages *pg, struct migstream_record *rec, int broken, int in_memory);
/* A new libxc image in the same stream: forget the records of the last. */
void ms_pages_restart(struct ms_pages *pg);
/* Before the rules see END or CHECKPOINT: give them the start_info page
 * (read back from the source when it can; see above).  0 or a fatal code. */
int ms_pages_start_info(struct ms_pages *pg);
/* After those rules: forget the page read back for them. */
void ms_pages_start_info_done(struct ms_pages *pg);
/* Data pages of the current record not yet delivered or passed. */
uint32_t ms_pages_left(const struct ms_pages *pg);
/* Copy the next n data pages into pages[] (n <= ms_pages_left()), with
 * their deep checks.  0, a finding of the contents, or a fatal code. */
int ms_pages_read(struct ms_pages *pg, void *const pages[], uint32_t n);
/* The contents of entry i (a data page) of rec, loaded on first use. */
int ms_pages_view(struct ms_pages *pg, const struct migstream_record *rec, uint32_t i, const void **page);
/* The record is done with: check the pages nobody read, skip them and the
 * rest of the record.  0, a finding of the contents, or a fatal code. */
int ms_pages_finish(struct ms_pages *pg);

#endif /* MIGSTREAM_PAGES_H */
