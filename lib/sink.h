/*
 * sink.h: output sinks (sink.c): fd, growable memory or callbacks behind one
 * "write all of this iovec list" call.  The writer uses the calls only.
 */
#ifndef MIGSTREAM_SINK_H
#define MIGSTREAM_SINK_H

#ifndef MIGSTREAM_BUILDING
#error "sink.h is private to libmigstream"
#endif

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "migstream.h"

struct ms_ctx;

enum { MS_SINK_NONE, MS_SINK_FD, MS_SINK_MEM, MS_SINK_IO };

struct ms_sink {
	int kind;
	int fd;
	int own_fd;
	int wait;                         /* poll on EAGAIN */
	int sync;                         /* fsync before close */
	migstream_write_io io;
	void *io_ctx;
	uint8_t *mem;
	size_t mem_len, mem_cap;
	uint64_t pos;                     /* octets accepted by the sink */
	int closed;
	int64_t bad_ret;                  /* a writev callback's value outside its contract */
	/* Accepted octets a non-blocking fd or callback would not take yet:
	 * pend[pend_off, pend_len), at most one record (ms_sink_writev is
	 * not called while any remain).  pos counts them already. */
	uint8_t *pend;
	size_t pend_off, pend_len, pend_cap;
};

void ms_sink_init(struct ms_sink *s);
/* Attach the sink (the writer's set-up). */
void ms_sink_open_fd(struct ms_sink *s, int fd, int own_fd);
void ms_sink_open_memory(struct ms_sink *s);
void ms_sink_open_io(struct ms_sink *s, const migstream_write_io *io, size_t io_size, void *ctx);
/* wait: poll an fd on EAGAIN; sync: fsync an fd before close. */
void ms_sink_set_wait_sync(struct ms_sink *s, int wait, int sync);
/* Octets accepted by the sink: the stream offset of the next octet. */
static inline uint64_t ms_sink_pos(const struct ms_sink *s) { return s->pos; }
/* A memory sink's octets: 0, or -1 for any other sink. */
int ms_sink_memory(const struct ms_sink *s, const void **data, size_t *len);
/* Release a memory sink's buffer (after close: it outlives it). */
void ms_sink_free(struct ms_sink *s);
/* Record a failed ms_sink_writev (code, errno e, octets of the call
 * written) in c; returns the code. */
int ms_sink_fail(const struct ms_sink *s, struct ms_ctx *c, int code, int e, uint64_t written);
/* Write every octet of iov.  0, or E_IO / E_NOMEM with errno in *e;
 * *written = octets of this call that reached the sink.  When a
 * non-blocking fd or a callback would block (and the sink does not wait),
 * the rest is copied into the sink's pending buffer: MIGSTREAM_E_AGAIN,
 * with every octet accepted (*written = all of them, pos past them).
 * Never called while octets are pending. */
int ms_sink_writev(struct ms_sink *s, const struct iovec *iov, int cnt, uint64_t *written, int *e);
/* Octets accepted but not yet taken by the fd or callback. */
static inline uint64_t ms_sink_pending(const struct ms_sink *s) { return s->pend_len - s->pend_off; }
/* Write pending octets: 0 when none remain, MIGSTREAM_E_AGAIN when the fd
 * or callback would block again, E_IO with errno in *e. */
int ms_sink_flush(struct ms_sink *s, int *e);
/* The fd to poll (-1 for memory and callback sinks). */
int ms_sink_fd(const struct ms_sink *s);
/* 0 or -errno. */
int ms_sink_close(struct ms_sink *s);

#endif /* MIGSTREAM_SINK_H */
