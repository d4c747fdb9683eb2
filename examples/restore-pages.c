/*
 * restore-pages: the page path of a restorer.  Reads a stream and puts
 * every page it carries into a caller-owned "guest memory" buffer indexed
 * by pfn, the way a toolstack's restore code fills mapped guest frames.
 *
 *   restore-pages FILE|- [MAX_PFN]
 *
 * MAX_PFN (default 0xfffff, 4 GiB of guest memory) bounds the buffer; it
 * is reserved with calloc, so untouched pages cost nothing on most
 * systems.  Prints how many pages were restored and a checksum of the
 * restored pages.  Exit status: 0 restored, 1 invalid stream, 2 usage or memory.
 *
 * This is meant to be copied.  The points it shows:
 *   - next() parses a PAGE_DATA record's pfn array only;
 *   - migstream_reader_read_pages() reads the page contents straight into
 *     the caller's buffers (readv on an fd: one copy, from the kernel),
 *     in record order, one pointer per page that carries data;
 *   - a restorer stops at the first error of any kind.
 *
 * It writes pages as they pass, which is right for a plain save file only.
 * A checkpointed stream (Remus, COLO) carries rounds that must be buffered
 * until they are committed and dropped at failover: use the page journal
 * (migstream_journal_step(), libmigstream(3), CHECKPOINTS) there.
 *
 * Build against an installed library:
 *   cc -o restore-pages restore-pages.c $(pkg-config --cflags --libs libmigstream)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <migstream.h>

#define PAGE 4096u

/* Where the pages of one record go: up to 1024 entries per record (Xen's
 * saver batches at most 1024); larger records are read in slices. */
#define BATCH 1024u

static unsigned char scratch[PAGE];   /* for pages outside guest memory */

int main(int argc, char **argv)
{
	const char *path;
	unsigned long long max_pfn = 0xfffff;
	unsigned char *memory, *present;
	const migstream_record *rec;
	migstream_reader *r;
	void *dest[BATCH];
	uint64_t restored = 0, hash = 0xcbf29ce484222325ull;
	int rc;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: restore-pages FILE|- [MAX_PFN]\n");
		return 2;
	}
	path = argv[1];
	if (argc == 3)
		max_pfn = strtoull(argv[2], NULL, 0);
	memory = calloc(max_pfn + 1, PAGE);   /* the "guest" */
	present = calloc(max_pfn / 8 + 1, 1);  /* which pfns were restored */
	if (!memory || !present) {
		fprintf(stderr, "restore-pages: cannot reserve guest memory\n");
		free(memory);
		free(present);
		return 2;
	}

	r = migstream_reader_new();
	if (!r) {
		free(memory);
		return 2;
	}
	/* Restore mode (the default) accepts what Xen restores. */
	rc = strcmp(path, "-") == 0 ? migstream_reader_open_fd(r, 0)
	                            : migstream_reader_open_path(r, path);
	while (rc == 0 && (rc = migstream_reader_next(r, &rec)) == 0) {
		uint32_t count, i, n = 0;

		if (migstream_record_layer(rec) != MIGSTREAM_LAYER_LIBXC ||
		    migstream_record_type(rec) != MIGSTREAM_REC_PAGE_DATA)
			continue;   /* vCPU state, HVM context, ...: not this example */
		if ((rc = migstream_record_count(rec, &count)) != 0)
			break;
		/* One destination per entry whose type carries data (not XTAB,
		 * BROKEN, XALLOC), in entry order. */
		for (i = 0; i < count && rc == 0; i++) {
			uint64_t pfn;
			uint32_t type;

			rc = migstream_record_get_pfn(rec, i, &pfn, &type);
			if (rc != 0 || !migstream_page_type_has_data(type))
				continue;
			if (pfn <= max_pfn) {
				dest[n++] = memory + pfn * PAGE;
				present[pfn / 8] |= (unsigned char)(1u << (pfn % 8));
			} else {
				dest[n++] = scratch;   /* outside the guest: dropped */
			}
			if (n == BATCH || i + 1 == count) {
				rc = migstream_reader_read_pages(r, dest, n);
				restored += n;
				n = 0;
			}
		}
		if (rc == 0 && n) {
			rc = migstream_reader_read_pages(r, dest, n);
			restored += n;
		}
	}
	if (rc != MIGSTREAM_EOF) {
		/* A restorer stops at the first error, record-level or not. */
		fprintf(stderr, "restore-pages: %s: %s\n", path, migstream_reader_errmsg(r));
		migstream_reader_free(r);
		free(memory);
		free(present);
		return rc == MIGSTREAM_E_NOMEM ? 2 : 1;
	}
	migstream_reader_free(r);

	/* Checksum of the final contents of every restored page, in pfn
	 * order (FNV-1a over pfn and page). */
	for (uint64_t pfn = 0; pfn <= max_pfn; pfn++) {
		if (!(present[pfn / 8] & (1u << (pfn % 8))))
			continue;
		for (unsigned j = 0; j < 8; j++) {
			hash ^= (unsigned char)(pfn >> (8 * j));
			hash *= 0x100000001b3ull;
		}
		for (unsigned j = 0; j < PAGE; j++) {
			hash ^= memory[pfn * PAGE + j];
			hash *= 0x100000001b3ull;
		}
	}
	printf("%s: %" PRIu64 " pages restored, memory checksum %016" PRIx64 "\n", path, restored,
	       hash);
	free(memory);
	free(present);
	return 0;
}
