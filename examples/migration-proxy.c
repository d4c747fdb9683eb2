/*
 * migration-proxy: the shape of a save/restore daemon's inner loop.  One
 * poll() loop takes a migration stream from IN as it arrives, verifies it
 * with a push reader, and forwards it to OUT through a non-blocking fd, a
 * record at a time once the record is verified.  A record that breaks a
 * rule is never forwarded: OUT then ends at the record boundary before it.
 * Progress goes to standard error about once a second.
 *
 *   migration-proxy [-c] [IN [OUT]]     (default: standard input and output)
 *
 * -c: IN is a migration channel: octets after the final END are forwarded
 * unverified (xl's protocol goes on on the same connection).
 * Exit status: 0 a valid stream was forwarded, 1 it was not (or I/O
 * failed), 2 usage.
 *
 * Build: cc migration-proxy.c $(pkg-config --cflags --libs libmigstream)
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <migstream.h>

/* Octets received and not yet forwarded: stream offsets
 * [base, base + len) are held[0, len); the first `ok` of them are
 * verified and may go out. */
struct hold {
	uint8_t *data;
	size_t len, cap, ok;
	uint64_t base;
};

static int hold_append(struct hold *h, const uint8_t *p, size_t n)
{
	if (h->len + n > h->cap) {
		size_t cap = h->cap ? h->cap : 1u << 20;
		while (cap < h->len + n)
			cap *= 2;
		uint8_t *d = realloc(h->data, cap);
		if (!d)
			return -1;
		h->data = d;
		h->cap = cap;
	}
	memcpy(h->data + h->len, p, n);
	h->len += n;
	return 0;
}

/* Everything before stream offset `upto` is verified. */
static void hold_verified(struct hold *h, uint64_t upto)
{
	if (upto > h->base + h->ok)
		h->ok = (size_t)(upto - h->base) < h->len ? (size_t)(upto - h->base) : h->len;
}

/* Write verified octets without blocking: 0, or -1 with errno. */
static int hold_flush(struct hold *h, int fd, uint64_t *sent)
{
	while (h->ok > 0) {
		ssize_t n = write(fd, h->data, h->ok);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		}
		memmove(h->data, h->data + n, h->len - (size_t)n);
		h->len -= (size_t)n;
		h->ok -= (size_t)n;
		h->base += (uint64_t)n;
		*sent += (uint64_t)n;
	}
	return 0;
}

static uint64_t record_end(const migstream_record *rec)
{
	uint64_t len = migstream_record_length(rec);
	return migstream_record_offset(rec) + 8 + ((len + 7) & ~(uint64_t)7);
}

/* Pull every record the octets fed so far complete, marking what they
 * prove verified; the reader's status (MIGSTREAM_E_AGAIN: feed more). */
static int pull(migstream_reader *r, struct hold *h, uint64_t *page_end, uint64_t *records)
{
	const migstream_record *rec;
	int rc;
	while ((rc = migstream_reader_next(r, &rec)) == 0) {
		(*records)++;
		/* The record before is clean: a PAGE_DATA record's contents are
		 * judged by the call that returns the next one. */
		if (*page_end)
			hold_verified(h, *page_end);
		*page_end = 0;
		hold_verified(h, migstream_record_offset(rec));
		if (migstream_record_layer(rec) == MIGSTREAM_LAYER_LIBXC &&
		    migstream_record_type(rec) == MIGSTREAM_REC_PAGE_DATA)
			*page_end = record_end(rec);
		else
			hold_verified(h, record_end(rec));
	}
	if (rc == MIGSTREAM_EOF) {
		hold_verified(h, h->base + h->len);   /* valid to the end: all of it */
	} else if (rc != MIGSTREAM_E_AGAIN && *page_end) {
		/* A failure past the PAGE_DATA record held back (in the next
		 * record, say) leaves that record clean. */
		migstream_diag d;
		if (migstream_reader_error(r, &d, sizeof d) == 0 && d.offset >= *page_end)
			hold_verified(h, *page_end);
	}
	return rc;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	int channel = 0, a = 1;
	if (a < argc && strcmp(argv[a], "-c") == 0) {
		channel = 1;
		a++;
	}
	if (argc - a > 2 || (a < argc && argv[a][0] == '-' && argv[a][1] != '\0')) {
		fprintf(stderr, "usage: migration-proxy [-c] [IN [OUT]]\n");
		return 2;
	}
	int in = STDIN_FILENO, out = STDOUT_FILENO;
	if (a < argc && strcmp(argv[a], "-") != 0 && (in = open(argv[a], O_RDONLY)) < 0) {
		perror(argv[a]);
		return 2;
	}
	if (a + 1 < argc && strcmp(argv[a + 1], "-") != 0 &&
	    (out = open(argv[a + 1], O_WRONLY | O_CREAT | O_EXCL, 0644)) < 0) {
		perror(argv[a + 1]);
		return 2;
	}
	fcntl(in, F_SETFL, fcntl(in, F_GETFL) | O_NONBLOCK);
	fcntl(out, F_SETFL, fcntl(out, F_GETFL) | O_NONBLOCK);

	migstream_reader *r = migstream_reader_new();
	if (!r || migstream_reader_set_option(r, MIGSTREAM_OPT_CHANNEL, (uint64_t)channel) != 0 ||
	    migstream_reader_open_push(r) != 0) {
		fprintf(stderr, "migration-proxy: cannot set up the reader\n");
		return 2;
	}

	struct hold h = { NULL, 0, 0, 0, 0 };
	static uint8_t buf[65536];
	uint64_t received = 0, sent = 0, records = 0, page_end = 0;
	int in_open = 1;
	int state = MIGSTREAM_E_AGAIN;    /* the reader's: E_AGAIN reading, EOF valid, else stopped */
	double last = now();

	for (;;) {
		/* Read while the stream is being verified, or (-c) its tail. */
		int reading = in_open && (state == MIGSTREAM_E_AGAIN || (state == MIGSTREAM_EOF && channel));
		if (!reading && h.ok == 0)
			break;
		struct pollfd p[2];
		nfds_t n = 0;
		if (reading)
			p[n++] = (struct pollfd){ .fd = in, .events = POLLIN };
		if (h.ok > 0)
			p[n++] = (struct pollfd){ .fd = out, .events = POLLOUT };
		if (poll(p, n, 1000) < 0 && errno != EINTR) {
			perror("migration-proxy: poll");
			return 1;
		}
		if (h.ok > 0 && hold_flush(&h, out, &sent) != 0) {
			perror("migration-proxy: write");
			return 1;
		}
		if (reading) {
			ssize_t k = read(in, buf, sizeof buf);
			if (k < 0 && errno != EAGAIN && errno != EINTR) {
				perror("migration-proxy: read");
				return 1;
			}
			if (k > 0) {
				/* Keep a copy until it is verified and written. */
				if (hold_append(&h, buf, (size_t)k) != 0)
					return 2;
				received += (uint64_t)k;
				if (state == MIGSTREAM_EOF) {
					hold_verified(&h, h.base + h.len);   /* the channel's tail */
				} else {
					size_t off = 0;
					while (off < (size_t)k && state == MIGSTREAM_E_AGAIN) {
						size_t took = 0;
						if (migstream_reader_feed(r, buf + off, (size_t)k - off, &took) != 0)
							break;
						off += took;
						state = pull(r, &h, &page_end, &records);
					}
					if (state == MIGSTREAM_EOF)
						hold_verified(&h, h.base + h.len);   /* -c: what followed END in this chunk */
				}
			} else if (k == 0) {
				in_open = 0;
				if (state == MIGSTREAM_E_AGAIN) {
					migstream_reader_feed_end(r);
					state = pull(r, &h, &page_end, &records);
				}
			}
		}
		if (now() - last >= 1.0) {
			fprintf(stderr, "migration-proxy: %llu octets in, %llu out, %llu records\n",
			        (unsigned long long)received, (unsigned long long)sent, (unsigned long long)records);
			last = now();
		}
	}
	int status = state == MIGSTREAM_EOF ? 0 : 1;
	if (status)
		fprintf(stderr, "migration-proxy: %s\n", migstream_reader_errmsg(r));
	fprintf(stderr, "migration-proxy: %s: %llu octets in, %llu forwarded, %llu records\n",
	        status ? "stopped" : "done", (unsigned long long)received, (unsigned long long)sent,
	        (unsigned long long)records);
	migstream_reader_free(r);
	free(h.data);
	if (out != STDOUT_FILENO && close(out) != 0) {
		perror("migration-proxy: close");
		return 1;
	}
	return status;
}
