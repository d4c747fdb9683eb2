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
};

void ms_pages_init(struct ms_pages *pg, struct migstream_reader *r);
void ms_pages_free(struct ms_pages *pg);

/* A lazily read PAGE_DATA: keep its first `len` body octets (count,
 * reserved, pfn array) beyond the read-ahead buffer; rec->body then points
 * at the copy.  0 or a fatal code (reported). */
int ms_pages_keep_array(struct ms_pages *pg, struct migstream_record *rec, size_t len);
/* A record was framed: its geometry (entries and data pages; none when
 * `broken`) and fresh cursors.  in_memory: the whole body is at rec->body. */
void ms_pages_begin(struct ms_pages *pg, struct migstream_record *rec, int broken, int in_memory);
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
