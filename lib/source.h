/*
 * source.h: input sources (io.c): memory, fd or callbacks behind
 * peek / consume / skip / readv.  The reader uses the calls only, never
 * the fields.
 */
#ifndef MIGSTREAM_SOURCE_H
#define MIGSTREAM_SOURCE_H

#ifndef MIGSTREAM_BUILDING
#error "source.h is private to libmigstream"
#endif

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "migstream.h"

struct ms_ctx;

enum { MS_SRC_NONE, MS_SRC_MEM, MS_SRC_FD, MS_SRC_IO, MS_SRC_PUSH };

#define MS_READ_BLOCK (1024u * 1024u)   /* read-ahead size for fds and callbacks */
/* Octets the buffer holds beyond one record (header, padding, the headers
 * that precede a stream's first record), so that a whole unit fits. */
#define MS_UNIT_SLACK 256u

struct ms_source {
	int kind;
	/* MS_SRC_MEM */
	const uint8_t *mem;
	size_t mem_len;
	/* MS_SRC_FD */
	int fd;
	int own_fd;
	int seekable;
	uint64_t file_size;               /* regular files: size at open */
	uint64_t file_start;              /* regular files: the fd's offset at open */
	/* MS_SRC_IO */
	migstream_read_io io;
	void *io_ctx;
	/* Read-ahead buffer (fd and io): valid octets are buf[head, tail). */
	uint8_t *buf;
	size_t cap, head, tail;
	size_t max_cap;                   /* never grows beyond this */
	uint64_t pos;                     /* stream offset of the next unconsumed octet */
	int eof;
	int closed;
	int ra_small;                     /* read ahead little: the caller takes bulk data itself */
	int is_pipe;                      /* fd is a pipe: skip with splice() to /dev/null */
	int null_fd;                      /* /dev/null for splice, -1 until needed */
	/* A non-blocking fd or pushed octets: the reader makes each unit (the
	 * headers, a record) whole in the buffer before it looks at it, so
	 * E_AGAIN can come only from that fill and never loses state. */
	int unitwise;
	int push_end;                     /* MS_SRC_PUSH: the caller said no more octets follow */
	/* MS_SRC_PUSH fed in place (MIGSTREAM_OPT_FEED_IN_PLACE): while `lent`
	 * the buffered octets [head, tail) lie in the caller's memory at lend
	 * (buf is then empty); otherwise they are in buf, and the octets fed
	 * after them, not yet needed, are pend[0, pend_len) in the caller's
	 * memory.  Only a unit that straddles two feeds that do not follow
	 * each other in memory is copied, into buf. */
	int in_place;
	int lent;
	const uint8_t *lend;
	const uint8_t *pend;
	size_t pend_len;
	size_t want;                      /* octets the last unsatisfied peek asked for */
	/* A callback broke its contract: which one, what it returned, the most
	 * it could have returned (for the error message). */
	const char *bad_cb;
	int64_t bad_ret;
	uint64_t bad_max;
};


void ms_src_init(struct ms_source *s);
/* Attach the source (the handle's set-up; each leaves pos at 0).  An fd is
 * looked at once: a pipe is skipped with splice(), a regular file by
 * seeking (its size from the current offset is kept). */
void ms_src_open_fd(struct ms_source *s, int fd, int own_fd);
void ms_src_open_memory(struct ms_source *s, const void *buf, size_t len);
void ms_src_open_io(struct ms_source *s, const migstream_read_io *io, size_t io_size, void *ctx);
/* No source: the caller hands octets over with ms_src_feed(). */
void ms_src_open_push(struct ms_source *s);
/* Copy up to len octets into the buffer of a push source: as many as fit
 * in the larger of one read-ahead block and the unit the reader waits for
 * (never beyond the record cap plus MS_UNIT_SLACK); *taken says how many.
 * 0 or E_NOMEM. */
int ms_src_feed(struct ms_source *s, const void *buf, size_t len, size_t *taken);
/* The same, in place (the caller keeps the octets, see source.h's
 * fields): all len octets are taken.  0, E_NOMEM, or E_STATE when octets
 * fed elsewhere in memory would have to be copied beyond the buffer's
 * bound (more than a unit fed and not yet read). */
int ms_src_feed_in_place(struct ms_source *s, const void *buf, size_t len);
/* Whether the source is read unit by unit (a non-blocking fd, a push
 * source): peek may then return E_AGAIN, keeping what it has. */
static inline int ms_src_unitwise(const struct ms_source *s) { return s->unitwise; }
/* Size the read-ahead buffer for records of at most max_record_len octets. */
void ms_src_set_record_cap(struct ms_source *s, uint64_t max_record_len);
/* Stream offset of the next unconsumed octet. */
static inline uint64_t ms_src_pos(const struct ms_source *s) { return s->pos; }
/* Memory sources hand out pointers into the caller's buffer. */
int ms_src_is_memory(const struct ms_source *s);
/* Is the source known to end before stream offset `end`?  1 with the
 * stream offset of its end in *eof (memory, and regular files, whose size
 * is looked at again in case the file grew), else 0 (not known: pipes,
 * callbacks, or there is enough). */
int ms_src_ends_before(struct ms_source *s, uint64_t end, uint64_t *eof);
/* Read ahead little (to the next 4 KiB) while bulk data goes elsewhere. */
void ms_src_read_little(struct ms_source *s, int little);
/* Whether skipping costs no reading (seek, splice or the skip callback). */
int ms_src_skips_cheaply(const struct ms_source *s);
/* The octets past the position that the source already holds (the rest of
 * a memory buffer, or the read-ahead buffer). */
void ms_src_unread(const struct ms_source *s, const void **data, size_t *len);
/* Record a failure of peek/skip/readv (code, errno) in c, at the source's
 * position; returns the code the reader dies with. */
int ms_src_fail(const struct ms_source *s, struct ms_ctx *c, int code, int err_no);
/* Make `need` octets contiguous at the current position.  p and avail give
 * what is there (avail < need only at EOF).  0, or E_IO/E_NOMEM (with
 * errno in *err_no), or E_AGAIN when the source would block: the octets
 * read so far stay in the buffer and the next peek goes on from there. */
int ms_src_peek(struct ms_source *s, size_t need, const uint8_t **p, size_t *avail, int *err_no);
void ms_src_consume(struct ms_source *s, size_t n);
/* Skip n octets; *done receives how many (short only at EOF). */
int ms_src_skip(struct ms_source *s, uint64_t n, uint64_t *done, int *err_no);
/* Read n octets into iov (total n); *done short only at EOF. */
int ms_src_readv(struct ms_source *s, struct iovec *iov, int iovcnt, size_t n, size_t *done,
                 int *err_no);
/* Close per ownership; returns 0 or -errno. */
int ms_src_close(struct ms_source *s);
/* Read n octets at stream offset off without moving the
 * source; memory and seekable files only (else E_IO, ESPIPE).  0 or E_IO
 * with errno in *err_no; *done is short only at the end of the source. */
int ms_src_read_at(struct ms_source *s, uint64_t off, void *buf, size_t n, size_t *done, int *err_no);

#endif /* MIGSTREAM_SOURCE_H */
