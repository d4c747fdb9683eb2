/*
 * journal.c: the page journal (checkpoint.h): the open round's data pages
 * spooled to a file, handed out when the reader commits the round and
 * dropped when it discards it.  In memory: the pfn of each spooled page.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "migstream.h"

#define PAGE 4096u
#define MS_JOURNAL_MAGIC 0x6d734a4eu   /* "msJN" */

struct migstream_journal {
	uint32_t magic;
	int fd;
	int own;              /* the temporary file is ours to close */
	uint64_t *pfn;        /* pfn | type << 60 of spooled page i (at offset i * 4096) */
	uint64_t n, cap;
	unsigned char buf[PAGE];
};

static int tmp_fd(const char *dir)
{
	int fd;

	if (!dir || !*dir)
		dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
#ifdef O_TMPFILE
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
#endif
	size_t len = strlen(dir) + sizeof "/migstream-journal.XXXXXX";
	char *name = ms_malloc(len);
	if (!name) {
		errno = ENOMEM;
		return -1;
	}
	snprintf(name, len, "%s/migstream-journal.XXXXXX", dir);
	fd = mkstemp(name);
	if (fd >= 0) {
		unlink(name);
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	int e = errno;
	ms_free(name);
	errno = e;
	return fd;
}

migstream_journal *migstream_journal_new(int fd, const char *dir)
{
	migstream_journal *j = ms_malloc(sizeof *j);

	if (!j) {
		errno = ENOMEM;
		return NULL;
	}
	memset(j, 0, sizeof *j);
	j->magic = MS_JOURNAL_MAGIC;
	j->fd = fd;
	if (fd < 0) {
		j->fd = tmp_fd(dir);
		j->own = 1;
		if (j->fd < 0) {
			int e = errno;
			ms_free(j);
			errno = e;
			return NULL;
		}
	}
	return j;
}

#define BAD(j) (!(j) || (j)->magic != MS_JOURNAL_MAGIC)

void migstream_journal_free(migstream_journal *j)
{
	if (BAD(j))
		return;
	j->magic = 0;
	if (j->own)
		close(j->fd);
	ms_free(j->pfn);
	ms_free(j);
}

uint64_t migstream_journal_pending(const migstream_journal *j)
{
	return BAD(j) ? 0 : j->n;
}

static int pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	const char *p = buf;

	while (len) {
		ssize_t w = pwrite(fd, p, len, off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = ENOSPC;
			return -1;
		}
		p += w;
		len -= (size_t)w;
		off += w;
	}
	return 0;
}

static int pread_all(int fd, void *buf, size_t len, off_t off)
{
	char *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

int migstream_journal_add(migstream_journal *j, uint64_t pfn, uint32_t type, const void *page)
{
	if (BAD(j) || !page || pfn >> 60 || type > 15)
		return MIGSTREAM_E_INVAL;
	if (j->n == j->cap) {
		uint64_t c = j->cap ? j->cap * 2 : 1024;
		uint64_t *v = ms_realloc(j->pfn, (size_t)c * sizeof *v);
		if (!v)
			return MIGSTREAM_E_NOMEM;
		j->pfn = v;
		j->cap = c;
	}
	if (pwrite_all(j->fd, page, PAGE, (off_t)(j->n * PAGE)) != 0)
		return MIGSTREAM_E_IO;
	j->pfn[j->n++] = pfn | (uint64_t)type << 60;
	return 0;
}

int migstream_journal_discard(migstream_journal *j)
{
	if (BAD(j))
		return MIGSTREAM_E_INVAL;
	uint64_t had = j->n;
	j->n = 0;
	/* Give the space back after a round that spooled anything. */
	if (had && ftruncate(j->fd, 0) != 0)
		return MIGSTREAM_E_IO;
	return 0;
}

int migstream_journal_commit(migstream_journal *j, migstream_journal_fn fn, void *ctx)
{
	if (BAD(j) || !fn)
		return MIGSTREAM_E_INVAL;
	for (uint64_t i = 0; i < j->n; i++) {
		if (pread_all(j->fd, j->buf, PAGE, (off_t)(i * PAGE)) != 0)
			return MIGSTREAM_E_IO;
		uint64_t e = j->pfn[i];
		int rc = fn(ctx, e & ((UINT64_C(1) << 60) - 1), (uint32_t)(e >> 60), j->buf);
		if (rc)
			return rc;
	}
	return migstream_journal_discard(j);
}

int migstream_journal_step(migstream_journal *j, migstream_reader *r, const migstream_record *rec,
                           migstream_journal_fn fn, void *ctx)
{
	migstream_checkpoint_info ci;
	uint32_t n = 0;
	int rc;

	if (BAD(j) || !r || !fn)
		return MIGSTREAM_E_INVAL;
	if ((rc = migstream_reader_get_checkpoint(r, &ci, sizeof ci)) != 0)
		return rc;
	if (rec && migstream_record_layer(rec) == MIGSTREAM_LAYER_LIBXC &&
	    migstream_record_type(rec) == MIGSTREAM_REC_PAGE_DATA &&
	    migstream_record_count(rec, &n) == 0) {
		for (uint32_t i = 0; i < n; i++) {
			uint64_t pfn;
			uint32_t type;
			const void *page = NULL;
			rc = migstream_record_get_page(rec, i, &pfn, &type, &page);
			if (rc && migstream_error_is_fatal(rc))
				return rc;
			if (rc || !page)
				continue;   /* no data (or a broken entry, reported) */
			if ((rc = migstream_journal_add(j, pfn, type, page)) != 0)
				return rc;
		}
	}
	if (ci.events & MIGSTREAM_CKPT_EV_COMMIT) {
		rc = migstream_journal_commit(j, fn, ctx);
		return rc ? rc : 1;
	}
	if (ci.events & MIGSTREAM_CKPT_EV_DISCARD)
		return migstream_journal_discard(j);
	return 0;
}
