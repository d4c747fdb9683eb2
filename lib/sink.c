/*
 * sink.c: output sinks (fd, growable memory, caller callbacks) behind one
 * "write all of this iovec list" call.
 *
 * Short writes are completed, EINTR is retried, EAGAIN is either waited out
 * with poll() or kept: the rest of the call goes to a pending buffer that
 * ms_sink_flush() writes later.  On failure *written says how many octets of
 * this call reached the sink, so the caller knows the exact prefix.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>

#include "alloc.h"
#include "rules.h"
#include "sink.h"

#ifndef IOV_MAX
#define IOV_MAX 1024
#endif

void ms_sink_init(struct ms_sink *s)
{
	memset(s, 0, sizeof *s);
	s->fd = -1;
}

void ms_sink_open_fd(struct ms_sink *s, int fd, int own_fd)
{
	s->kind = MS_SINK_FD;
	s->fd = fd;
	s->own_fd = own_fd;
}

void ms_sink_open_memory(struct ms_sink *s)
{
	s->kind = MS_SINK_MEM;
}

void ms_sink_open_io(struct ms_sink *s, const migstream_write_io *io, size_t io_size, void *ctx)
{
	memset(&s->io, 0, sizeof s->io);
	memcpy(&s->io, io, io_size < sizeof s->io ? io_size : sizeof s->io);
	s->kind = MS_SINK_IO;
	s->io_ctx = ctx;
}

void ms_sink_set_wait_sync(struct ms_sink *s, int wait, int sync)
{
	s->wait = wait;
	s->sync = sync;
}

int ms_sink_memory(const struct ms_sink *s, const void **data, size_t *len)
{
	if (s->kind != MS_SINK_MEM)
		return -1;
	*data = s->mem ? s->mem : (const uint8_t *)"";
	*len = s->mem_len;
	return 0;
}

void ms_sink_free(struct ms_sink *s)
{
	ms_free(s->mem);
	s->mem = NULL;
	s->mem_len = s->mem_cap = 0;
	ms_free(s->pend);
	s->pend = NULL;
	s->pend_off = s->pend_len = s->pend_cap = 0;
}

int ms_sink_fd(const struct ms_sink *s)
{
	return s->kind == MS_SINK_FD ? s->fd : -1;
}

int ms_sink_fail(const struct ms_sink *s, struct ms_ctx *c, int code, int e, uint64_t written)
{
	uint64_t at = s->pos - ms_sink_pending(s);  /* octets the sink really took */
	if (s->bad_ret)
		return ms_fail(c, code, e, at,
		               "write failed after %llu octets of this record: the writev callback returned %lld, "
		               "neither 1..(octets asked) nor -errno (-1..-%d)", (unsigned long long)written,
		               (long long)s->bad_ret, MS_ERRNO_MAX);
	return ms_fail(c, code, e, at, "write failed after %llu octets of this record: %s",
	               (unsigned long long)written, code == MIGSTREAM_E_NOMEM ? "out of memory" : strerror(e));
}

/* One write attempt: octets written or a negative status (errno in *e). */
static int64_t write_once(struct ms_sink *s, const struct iovec *iov, int cnt, int *e)
{
	for (;;) {
		if (s->kind == MS_SINK_FD) {
			ssize_t n = writev(s->fd, iov, cnt > IOV_MAX ? IOV_MAX : cnt);
			if (n >= 0)
				return n;
			if (errno == EINTR)
				continue;
			if ((errno == EAGAIN || errno == EWOULDBLOCK) && s->wait) {
				struct pollfd p = { .fd = s->fd, .events = POLLOUT };
				if (poll(&p, 1, -1) >= 0 || errno == EINTR)
					continue;
			}
			*e = errno;
			return (errno == EAGAIN || errno == EWOULDBLOCK) ? MIGSTREAM_E_AGAIN : MIGSTREAM_E_IO;
		}
		if (s->kind == MS_SINK_IO) {
			int c = cnt > IOV_MAX ? IOV_MAX : cnt;
			uint64_t asked = 0;
			for (int i = 0; i < c; i++)
				asked += iov[i].iov_len;
			int64_t n = s->io.writev(s->io_ctx, iov, c);
			/* More than asked, or a negative value that is no -errno:
			 * the callback's bug, never negated or counted. */
			if ((n > 0 && (uint64_t)n > asked) || n < -MS_ERRNO_MAX) {
				s->bad_ret = n;
				*e = EINVAL;
				return MIGSTREAM_E_IO;
			}
			if (n > 0)
				return n;
			if (n == 0) {
				*e = EIO;         /* no progress: treat as an error, never spin */
				return MIGSTREAM_E_IO;
			}
			if (n == -EINTR)
				continue;
			*e = (int)-n;
			return n == -EAGAIN ? MIGSTREAM_E_AGAIN : MIGSTREAM_E_IO;
		}
		/* Memory. */
		size_t total = 0;
		for (int i = 0; i < cnt; i++)
			total += iov[i].iov_len;
		if (s->mem_cap - s->mem_len < total) {
			size_t ncap = s->mem_cap ? s->mem_cap : 65536;
			while (ncap - s->mem_len < total) {
				if (ncap > SIZE_MAX / 2) {
					*e = ENOMEM;
					return MIGSTREAM_E_NOMEM;
				}
				ncap *= 2;
			}
			uint8_t *nm = ms_realloc(s->mem, ncap);
			if (!nm) {
				*e = ENOMEM;
				return MIGSTREAM_E_NOMEM;
			}
			s->mem = nm;
			s->mem_cap = ncap;
		}
		for (int i = 0; i < cnt; i++) {
			if (iov[i].iov_len)
				memcpy(s->mem + s->mem_len, iov[i].iov_base, iov[i].iov_len);
			s->mem_len += iov[i].iov_len;
		}
		return (int64_t)total;
	}
}

/* The fd or callback would block at in[i] + off: copy what is left into
 * the pending buffer, so the call has accepted every octet. */
static int keep_rest(struct ms_sink *s, const struct iovec *in, int cnt, int i, size_t off,
                     uint64_t *written, int *e)
{
	size_t rest = 0;
	for (int j = i; j < cnt; j++)
		rest += in[j].iov_len - (j == i ? off : 0);
	if (rest > s->pend_cap) {
		uint8_t *np = ms_realloc(s->pend, rest);
		if (!np) {
			*e = ENOMEM;
			return MIGSTREAM_E_NOMEM;
		}
		s->pend = np;
		s->pend_cap = rest;
	}
	size_t at = 0;
	for (int j = i; j < cnt; j++) {
		size_t skip = j == i ? off : 0;
		if (in[j].iov_len > skip)
			memcpy(s->pend + at, (const uint8_t *)in[j].iov_base + skip, in[j].iov_len - skip);
		at += in[j].iov_len - skip;
	}
	s->pend_off = 0;
	s->pend_len = rest;
	s->pos += rest;
	*written += rest;
	return MIGSTREAM_E_AGAIN;
}

int ms_sink_flush(struct ms_sink *s, int *e)
{
	while (s->pend_off < s->pend_len) {
		struct iovec v = { s->pend + s->pend_off, s->pend_len - s->pend_off };
		int64_t k = write_once(s, &v, 1, e);
		if (k < 0)
			return (int)k;
		s->pend_off += (size_t)k;
	}
	s->pend_off = s->pend_len = 0;
	return 0;
}

int ms_sink_writev(struct ms_sink *s, const struct iovec *in, int cnt, uint64_t *written, int *e)
{
	struct iovec local[64];
	int i = 0;
	size_t off = 0;           /* octets of in[i] already written */

	*written = 0;
	while (i < cnt && in[i].iov_len == 0)
		i++;
	while (i < cnt) {
		int n = 0;
		for (int j = i; j < cnt && n < 64; j++) {
			if (in[j].iov_len == (j == i ? off : 0))
				continue;
			local[n].iov_base = (uint8_t *)in[j].iov_base + (j == i ? off : 0);
			local[n].iov_len = in[j].iov_len - (j == i ? off : 0);
			n++;
		}
		if (n == 0)
			break;
		int64_t k = write_once(s, local, n, e);
		if (k == MIGSTREAM_E_AGAIN)
			return keep_rest(s, in, cnt, i, off, written, e);
		if (k < 0)
			return (int)k;
		s->pos += (uint64_t)k;
		*written += (uint64_t)k;
		while (k > 0 && i < cnt) {
			size_t left = in[i].iov_len - off;
			if ((uint64_t)k < left) {
				off += (size_t)k;
				k = 0;
			} else {
				k -= (int64_t)left;
				i++;
				off = 0;
			}
		}
		while (i < cnt && in[i].iov_len == off) {
			i++;
			off = 0;
		}
	}
	return 0;
}

int ms_sink_close(struct ms_sink *s)
{
	int rc = 0;
	if (s->closed)
		return 0;
	s->closed = 1;
	if (s->kind == MS_SINK_FD) {
		if (s->sync && fsync(s->fd) != 0 && errno != EINVAL && errno != EROFS)
			rc = -errno;
		if (s->own_fd && close(s->fd) != 0 && rc == 0 && errno != EINTR)
			rc = -errno;
		s->fd = -1;
	} else if (s->kind == MS_SINK_IO && s->io.close) {
		rc = s->io.close(s->io_ctx);
		if (rc > 0 || rc < -MS_ERRNO_MAX)
			rc = -EINVAL;             /* not 0 or -errno */
	}
	return rc;
}
