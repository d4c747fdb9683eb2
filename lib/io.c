/*
 * io.c: input sources (memory, fd, caller callbacks) behind one peek /
 * consume / skip / readv interface.
 *
 * Memory sources are zero-copy: peek returns pointers into the caller's
 * buffer.  fd and callback sources read ahead in blocks into a buffer that
 * grows only as far as the largest record the reader lets through; bulk page
 * data bypasses it (readv straight into the caller's buffers, lseek past
 * what nobody wants).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "alloc.h"
#include "wire.h"
#include "rules.h"
#include "source.h"

void ms_src_init(struct ms_source *s)
{
	memset(s, 0, sizeof *s);
	s->fd = -1;
	s->null_fd = -1;
}

static size_t buffered(const struct ms_source *s)
{
	return s->tail - s->head;
}

/* Where the buffered octets lie: the own buffer, or the caller's memory. */
/* The octets buffered, or lent in place; never NULL, so that an empty
 * buffer is still a valid pointer to zero octets. */
static const uint8_t *bdata(const struct ms_source *s)
{
	const uint8_t *d = s->lent ? s->lend : s->buf;
	return d ? d : (const uint8_t *)"";
}

/* In place: once the own buffer is empty, read the octets fed after it
 * where they lie. */
static void settle(struct ms_source *s)
{
	if (!s->lent && s->head == s->tail && s->pend_len) {
		s->lent = 1;
		s->lend = s->pend;
		s->head = 0;
		s->tail = s->pend_len;
		s->pend_len = 0;
	}
}

void ms_src_open_fd(struct ms_source *s, int fd, int own_fd)
{
	struct stat st;

	int fl;

	s->kind = MS_SRC_FD;
	s->fd = fd;
	s->own_fd = own_fd;
	if (fstat(fd, &st) != 0)
		return;
	/* O_NONBLOCK on a regular file changes nothing: only other fds are
	 * read unit by unit. */
	fl = fcntl(fd, F_GETFL);
	if (fl != -1 && (fl & O_NONBLOCK) && !S_ISREG(st.st_mode))
		s->unitwise = 1;
	if (S_ISFIFO(st.st_mode))
		s->is_pipe = 1;
	if (S_ISREG(st.st_mode)) {
		off_t here = lseek(fd, 0, SEEK_CUR);
		if (here != (off_t)-1) {
			s->seekable = 1;
			s->file_start = (uint64_t)here;
			s->file_size = st.st_size > here ? (uint64_t)(st.st_size - here) : 0;
		}
	}
}

void ms_src_open_memory(struct ms_source *s, const void *buf, size_t len)
{
	s->kind = MS_SRC_MEM;
	s->mem = buf ? buf : (const uint8_t *)"";
	s->mem_len = len;
}

void ms_src_open_io(struct ms_source *s, const migstream_read_io *io, size_t io_size, void *ctx)
{
	memset(&s->io, 0, sizeof s->io);
	memcpy(&s->io, io, io_size < sizeof s->io ? io_size : sizeof s->io);
	s->kind = MS_SRC_IO;
	s->io_ctx = ctx;
}

void ms_src_open_push(struct ms_source *s)
{
	s->kind = MS_SRC_PUSH;
	s->unitwise = 1;
}

void ms_src_set_record_cap(struct ms_source *s, uint64_t max_record_len)
{
	/* The buffer holds one record (header, body, padding) and the headers
	 * before it at most, and never less than 64 KiB (headers, a page); with
	 * the default cap it reads ahead in 1 MiB blocks, with a low cap in
	 * smaller ones. */
	s->max_cap = (size_t)max_record_len + MS_UNIT_SLACK;
	if (s->max_cap < 65536)
		s->max_cap = 65536;
}

int ms_src_is_memory(const struct ms_source *s)
{
	return s->kind == MS_SRC_MEM;
}

int ms_src_ends_before(struct ms_source *s, uint64_t end, uint64_t *eof)
{
	struct stat st;

	if (s->kind == MS_SRC_MEM) {
		*eof = s->mem_len;
		return end > s->mem_len;
	}
	if (s->kind != MS_SRC_FD || !s->seekable || end <= s->file_size)
		return 0;
	if (fstat(s->fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size > s->file_start)
		s->file_size = (uint64_t)st.st_size - s->file_start;
	*eof = s->file_size;
	return end > s->file_size;
}

void ms_src_read_little(struct ms_source *s, int little)
{
	s->ra_small = little;
}

int ms_src_skips_cheaply(const struct ms_source *s)
{
	return (s->kind == MS_SRC_FD && (s->seekable || s->is_pipe)) || (s->kind == MS_SRC_IO && s->io.skip);
}

void ms_src_unread(const struct ms_source *s, const void **data, size_t *len)
{
	if (s->kind == MS_SRC_MEM) {
		*data = s->mem + s->pos;
		*len = s->mem_len - (size_t)s->pos;
	} else {
		*data = bdata(s) + s->head;
		*len = s->tail - s->head;
	}
}

int ms_src_fail(const struct ms_source *s, struct ms_ctx *c, int code, int err_no)
{
	if (code == MIGSTREAM_E_NOMEM)
		ms_fail(c, code, 0, s->pos, "out of memory");
	else if (code == MIGSTREAM_E_AGAIN && s->kind == MS_SRC_FD)
		ms_fail(c, MIGSTREAM_E_IO, err_no, s->pos,
		        "the source would block (EAGAIN) but its fd was blocking when the reader was opened; "
		        "set O_NONBLOCK before migstream_reader_open_fd()");
	else if (code == MIGSTREAM_E_AGAIN)
		ms_fail(c, MIGSTREAM_E_IO, err_no, s->pos,
		        "the read callback returned -EAGAIN; callback sources must block");
	else if (s->bad_cb)
		ms_fail(c, code, err_no, s->pos,
		        "the %s callback returned %lld, neither 0..%llu octets nor -errno (-1..-%d)",
		        s->bad_cb, (long long)s->bad_ret, (unsigned long long)s->bad_max, MS_ERRNO_MAX);
	else
		ms_fail(c, code, err_no, s->pos, "read error: %s", strerror(err_no));
	return code == MIGSTREAM_E_AGAIN ? MIGSTREAM_E_IO : code;
}

#ifdef HAVE_SPLICE
/* Skip n octets of a pipe without copying them: splice them to /dev/null.
 * Returns octets skipped (short at EOF), or -1 if splice is not usable
 * here (the caller then reads and discards). */
static int64_t splice_skip(struct ms_source *s, uint64_t n, int *err_no)
{
	uint64_t done = 0;
	if (s->null_fd < 0) {
		s->null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (s->null_fd < 0) {
			s->is_pipe = 0;
			return -1;
		}
	}
	while (done < n) {
		size_t want = n - done > (1u << 30) ? (1u << 30) : (size_t)(n - done);
		ssize_t k = splice(s->fd, NULL, s->null_fd, NULL, want, SPLICE_F_MOVE);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (done == 0 && (errno == EINVAL || errno == ENOSYS)) {
				s->is_pipe = 0;
				return -1;
			}
			*err_no = errno;
			return -2;
		}
		if (k == 0) {
			s->eof = 1;
			break;
		}
		done += (uint64_t)k;
	}
	return (int64_t)done;
}
#endif

/*
 * What a read or skip callback returned (reader.h states the contract):
 * 0..max octets, or -errno with errno in 1..MS_ERRNO_MAX.  Returns 0 for
 * a count, 1 for -EINTR (call again), or the failure: E_AGAIN for
 * -EAGAIN, E_IO with the errno otherwise.  Any other value (INT64_MIN,
 * -5000, more than asked) is the callback's bug: E_IO with EINVAL, and
 * the value kept for the error message, never negated or truncated.
 */
static int cb_result(struct ms_source *s, const char *cb, int64_t n, uint64_t max, int *err_no)
{
	if (n >= 0 && (uint64_t)n <= max)
		return 0;
	if (n < 0 && n >= -MS_ERRNO_MAX) {
		int e = (int)-n;
		if (e == EINTR)
			return 1;
		*err_no = e;
		return e == EAGAIN || e == EWOULDBLOCK ? MIGSTREAM_E_AGAIN : MIGSTREAM_E_IO;
	}
	s->bad_cb = cb;
	s->bad_ret = n;
	s->bad_max = max;
	*err_no = EINVAL;
	return MIGSTREAM_E_IO;
}

/* One read from the underlying fd or callback into dst. */
static int raw_read(struct ms_source *s, void *dst, size_t len, size_t *got, int *err_no)
{
	*got = 0;
	if (s->eof || len == 0)
		return 0;
	if (s->kind == MS_SRC_PUSH) {
		/* Everything fed is in the buffer already. */
		if (s->push_end) {
			s->eof = 1;
			return 0;
		}
		*err_no = EAGAIN;
		return MIGSTREAM_E_AGAIN;
	}
	for (;;) {
		if (s->kind == MS_SRC_FD) {
			ssize_t n = read(s->fd, dst, len);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				*err_no = errno;
				return errno == EAGAIN || errno == EWOULDBLOCK ? MIGSTREAM_E_AGAIN
				                                                : MIGSTREAM_E_IO;
			}
			if (n == 0)
				s->eof = 1;
			*got = (size_t)n;
			return 0;
		} else {
			int64_t n = s->io.read(s->io_ctx, dst, len);
			int rc = cb_result(s, "read", n, len, err_no);
			if (rc == 1)
				continue;
			if (rc)
				return rc;
			if (n == 0)
				s->eof = 1;
			*got = (size_t)n;
			return 0;
		}
	}
}

/* Room for need octets from head (need <= max_cap): the buffered octets
 * move to the front, the buffer grows.  0 or E_NOMEM. */
static int make_room(struct ms_source *s, size_t need)
{
	if (s->cap - s->head >= need)
		return 0;
	size_t have = buffered(s);
	if (s->head > 0 && have)
		memmove(s->buf, s->buf + s->head, have);
	s->head = 0;
	s->tail = have;
	if (s->cap < need) {
		size_t ncap = s->cap ? s->cap : MS_READ_BLOCK;
		if (ncap > s->max_cap)
			ncap = s->max_cap;
		while (ncap < need)
			ncap *= 2;
		if (ncap > s->max_cap)
			ncap = s->max_cap;
		uint8_t *nb = ms_realloc(s->buf, ncap);
		if (!nb)
			return MIGSTREAM_E_NOMEM;
		s->buf = nb;
		s->cap = ncap;
	}
	return 0;
}

/* peek for octets fed in place: only octets that continue a unit begun in
 * the own buffer are copied (from the pending feed); everything else is
 * looked at where the caller keeps it. */
static int peek_in_place(struct ms_source *s, size_t need, const uint8_t **p, size_t *avail, int *err_no)
{
	settle(s);
	size_t want = need < s->max_cap ? need : s->max_cap;
	if (!s->lent && buffered(s) < want && s->pend_len) {
		if (make_room(s, want))
			return MIGSTREAM_E_NOMEM;
		size_t k = want - buffered(s);
		if (k > s->pend_len)
			k = s->pend_len;
		memcpy(s->buf + s->tail, s->pend, k);
		s->tail += k;
		s->pend += k;
		s->pend_len -= k;
	}
	if (buffered(s) < need && !s->eof && !s->pend_len) {
		if (!s->push_end) {
			s->want = need;
			*err_no = EAGAIN;
			return MIGSTREAM_E_AGAIN;
		}
		s->eof = 1;
	}
	*p = bdata(s) + s->head;
	*avail = buffered(s);
	return 0;
}

int ms_src_peek(struct ms_source *s, size_t need, const uint8_t **p, size_t *avail, int *err_no)
{
	if (s->kind == MS_SRC_MEM) {
		size_t left = s->mem_len - (size_t)s->pos;
		*p = s->mem + s->pos;
		*avail = left;
		return 0;
	}
	if (s->in_place)
		return peek_in_place(s, need, p, avail, err_no);
	if (buffered(s) < need && !s->eof) {
		if (need > s->max_cap)
			need = s->max_cap;
		s->want = need;
		if (make_room(s, need))
			return MIGSTREAM_E_NOMEM;
		while (buffered(s) < need && !s->eof) {
			size_t got, room = s->cap - s->tail;
			if (s->ra_small) {
				/* The caller reads bulk data straight into its own
				 * buffers: read ahead only to the next 4 KiB, so page
				 * contents are not copied through this buffer. */
				size_t want = (need - buffered(s) + 4095) & ~(size_t)4095;
				if (want < room)
					room = want;
			}
			int rc = raw_read(s, s->buf + s->tail, room, &got, err_no);
			if (rc)
				return rc;
			s->tail += got;
		}
	}
	*p = s->buf + s->head;
	*avail = buffered(s);
	return 0;
}

int ms_src_feed(struct ms_source *s, const void *buf, size_t len, size_t *taken)
{
	size_t limit = s->want > MS_READ_BLOCK ? s->want : MS_READ_BLOCK;
	if (limit > s->max_cap)
		limit = s->max_cap;
	size_t n = buffered(s) < limit ? limit - buffered(s) : 0;
	if (n > len)
		n = len;
	*taken = 0;
	if (n == 0)
		return 0;
	if (make_room(s, buffered(s) + n))
		return MIGSTREAM_E_NOMEM;
	memcpy(s->buf + s->tail, buf, n);
	s->tail += n;
	*taken = n;
	return 0;
}

int ms_src_feed_in_place(struct ms_source *s, const void *buf, size_t len)
{
	const uint8_t *b = buf;
	if (len == 0)
		return 0;
	if (s->lent) {
		if (b == s->lend + s->tail) {         /* it continues what is lent */
			s->tail += len;
			return 0;
		}
		/* Elsewhere: what is lent and not yet read (a unit begun, at
		 * most the bound) goes into the own buffer, which is empty. */
		size_t u = buffered(s);
		if (u > s->max_cap)
			return MIGSTREAM_E_STATE;
		const uint8_t *rest = s->lend + s->head;
		s->lent = 0;
		s->head = s->tail = 0;
		if (u) {
			if (make_room(s, u))
				return MIGSTREAM_E_NOMEM;
			memcpy(s->buf, rest, u);
			s->tail = u;
		}
	} else if (s->pend_len) {
		if (b == s->pend + s->pend_len) {
			s->pend_len += len;
			return 0;
		}
		if (buffered(s) + s->pend_len > s->max_cap)
			return MIGSTREAM_E_STATE;
		if (make_room(s, buffered(s) + s->pend_len))
			return MIGSTREAM_E_NOMEM;
		memcpy(s->buf + s->tail, s->pend, s->pend_len);
		s->tail += s->pend_len;
	}
	s->pend = b;
	s->pend_len = len;
	settle(s);
	return 0;
}

void ms_src_consume(struct ms_source *s, size_t n)
{
	if (s->kind != MS_SRC_MEM) {
		s->head += n;
		if (s->head == s->tail) {
			if (s->lent) {
				/* Keep where the lent octets end: a feed that
				 * continues them is read in place. */
				s->lend += s->tail;
				s->head = s->tail = 0;
			} else {
				s->head = s->tail = 0;
				settle(s);
			}
		}
	}
	s->pos += n;
}

int ms_src_skip(struct ms_source *s, uint64_t n, uint64_t *done, int *err_no)
{
	*done = 0;
	if (s->kind == MS_SRC_MEM) {
		uint64_t left = s->mem_len - s->pos;
		*done = n < left ? n : left;
		s->pos += *done;
		return 0;
	}
	/* Buffered octets first. */
	size_t b = buffered(s);
	size_t take = n < b ? (size_t)n : b;
	ms_src_consume(s, take);
	*done = take;
	n -= take;
	if (n == 0)
		return 0;
	if (s->kind == MS_SRC_FD && s->seekable && !s->eof) {
		uint64_t left = s->file_size > s->pos ? s->file_size - s->pos : 0;
		uint64_t step = n < left ? n : left;
		if (step && lseek(s->fd, (off_t)step, SEEK_CUR) == (off_t)-1) {
			*err_no = errno;
			return MIGSTREAM_E_IO;
		}
		s->pos += step;
		*done += step;
		n -= step;
		if (n)
			s->eof = 1;
		return 0;
	}
#ifdef HAVE_SPLICE
	if (s->kind == MS_SRC_FD && s->is_pipe && !s->eof) {
		int64_t k = splice_skip(s, n, err_no);
		if (k == -2)
			return *err_no == EAGAIN || *err_no == EWOULDBLOCK ? MIGSTREAM_E_AGAIN : MIGSTREAM_E_IO;
		if (k >= 0) {
			s->pos += (uint64_t)k;
			*done += (uint64_t)k;
			return 0;
		}
	}
#endif
	if (s->kind == MS_SRC_IO && s->io.skip && !s->eof) {
		while (n) {
			int64_t k = s->io.skip(s->io_ctx, n);
			int rc = cb_result(s, "skip", k, n, err_no);
			if (rc == 1)
				continue;
			if (rc)
				return rc;
			if (k == 0) {
				s->eof = 1;
				return 0;
			}
			s->pos += (uint64_t)k;
			*done += (uint64_t)k;
			n -= (uint64_t)k;
		}
		return 0;
	}
	/* Read and discard through the buffer. */
	while (n && !s->eof) {
		const uint8_t *p;
		size_t avail;
		size_t want = n < MS_READ_BLOCK ? (size_t)n : MS_READ_BLOCK;
		int rc = ms_src_peek(s, want, &p, &avail, err_no);
		if (rc)
			return rc;
		if (avail == 0)
			break;
		size_t k = avail < n ? avail : (size_t)n;
		ms_src_consume(s, k);
		*done += k;
		n -= k;
	}
	return 0;
}

int ms_src_readv(struct ms_source *s, struct iovec *iov, int iovcnt, size_t n, size_t *done,
                 int *err_no)
{
	*done = 0;
	if (s->kind == MS_SRC_MEM) {
		size_t left = s->mem_len - (size_t)s->pos;
		size_t copy = n < left ? n : left;
		const uint8_t *src = s->mem + s->pos;
		size_t k = copy;
		for (int i = 0; i < iovcnt && k; i++) {
			size_t c = iov[i].iov_len < k ? iov[i].iov_len : k;
			memcpy(iov[i].iov_base, src, c);
			src += c;
			k -= c;
		}
		s->pos += copy;
		*done = copy;
		return 0;
	}

	/* Buffered octets first. */
	int i = 0;
	size_t ioff = 0;
	while (i < iovcnt && buffered(s) && *done < n) {
		size_t c = iov[i].iov_len - ioff;
		if (c > buffered(s))
			c = buffered(s);
		memcpy((uint8_t *)iov[i].iov_base + ioff, bdata(s) + s->head, c);
		ms_src_consume(s, c);
		*done += c;
		ioff += c;
		if (ioff == iov[i].iov_len) {
			i++;
			ioff = 0;
		}
	}
	/* Then straight from the source into the caller's buffers. */
	while (*done < n && !s->eof) {
		if (s->kind == MS_SRC_FD) {
			struct iovec local[256];
			int cnt = 0;
			for (int j = i; j < iovcnt && cnt < 256; j++, cnt++) {
				local[cnt].iov_base = (uint8_t *)iov[j].iov_base + (j == i ? ioff : 0);
				local[cnt].iov_len = iov[j].iov_len - (j == i ? ioff : 0);
			}
			ssize_t k = readv(s->fd, local, cnt);
			if (k < 0) {
				if (errno == EINTR)
					continue;
				*err_no = errno;
				return errno == EAGAIN || errno == EWOULDBLOCK ? MIGSTREAM_E_AGAIN
				                                                : MIGSTREAM_E_IO;
			}
			if (k == 0) {
				s->eof = 1;
				break;
			}
			s->pos += (uint64_t)k;
			*done += (size_t)k;
			size_t adv = (size_t)k;
			while (adv) {
				size_t c = iov[i].iov_len - ioff;
				if (c > adv)
					c = adv;
				ioff += c;
				adv -= c;
				if (ioff == iov[i].iov_len) {
					i++;
					ioff = 0;
				}
			}
		} else {
			size_t got;
			int rc = raw_read(s, (uint8_t *)iov[i].iov_base + ioff, iov[i].iov_len - ioff,
			                  &got, err_no);
			if (rc)
				return rc;
			s->pos += got;
			*done += got;
			ioff += got;
			if (ioff == iov[i].iov_len) {
				i++;
				ioff = 0;
			}
		}
	}
	return 0;
}

int ms_src_close(struct ms_source *s)
{
	int rc = 0;
	if (s->closed)
		return 0;
	s->closed = 1;
	if (s->kind == MS_SRC_FD && s->own_fd && s->fd >= 0) {
		if (close(s->fd) != 0)
			rc = -errno;
		s->fd = -1;
	} else if (s->kind == MS_SRC_IO && s->io.close) {
		rc = s->io.close(s->io_ctx);
		if (rc > 0 || rc < -MS_ERRNO_MAX)
			rc = -EINVAL;             /* not 0 or -errno */
	}
	if (s->null_fd >= 0) {
		close(s->null_fd);
		s->null_fd = -1;
	}
	ms_free(s->buf);
	s->buf = NULL;
	s->cap = s->head = s->tail = 0;
	return rc;
}

int ms_src_read_at(struct ms_source *s, uint64_t off, void *buf, size_t n, size_t *done, int *err_no)
{
	*done = 0;
	if (s->kind == MS_SRC_MEM) {
		if (off < s->mem_len) {
			size_t left = s->mem_len - (size_t)off;
			*done = n < left ? n : left;
			memcpy(buf, s->mem + off, *done);
		}
		return 0;
	}
	if (s->kind != MS_SRC_FD || !s->seekable) {
		*err_no = ESPIPE;
		return MIGSTREAM_E_IO;
	}
	/* The file position is the stream position plus what is buffered,
	 * plus where the stream started in the file. */
	off_t here = lseek(s->fd, 0, SEEK_CUR);
	if (here == (off_t)-1) {
		*err_no = errno;
		return MIGSTREAM_E_IO;
	}
	uint64_t base = (uint64_t)here - s->pos - buffered(s);
	while (*done < n) {
		ssize_t k = pread(s->fd, (uint8_t *)buf + *done, n - *done, (off_t)(base + off + *done));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			*err_no = errno;
			return MIGSTREAM_E_IO;
		}
		if (k == 0)
			break;
		*done += (size_t)k;
	}
	return 0;
}
