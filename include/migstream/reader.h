/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * reader.h: the pull reader and verifier.
 *
 * Lifecycle:
 *   1. r = migstream_reader_new();
 *   2. migstream_reader_set_option(r, MIGSTREAM_OPT_..., value);   (optional)
 *      migstream_reader_set_diag_handler(r, fn, ctx);               (optional)
 *   3. migstream_reader_open_fd() / _open_path() / _open_memory() / _open_io()
 *      / _open_push() (since 1.1);
 *      options are frozen from here on;
 *   4. migstream_reader_read_headers(r) (optional: next() does it), then
 *      migstream_reader_get_image_header() / _get_domain_header();
 *   5. while ((rc = migstream_reader_next(r, &rec)) == 0) { use rec }
 *      rc == MIGSTREAM_EOF: the stream ended properly;
 *      rc < 0 and !migstream_error_is_fatal(rc): a bad record, reported;
 *        calling next() again continues after it;
 *      rc == MIGSTREAM_E_AGAIN: a non-blocking fd would block, or a push
 *        reader wants more octets: wait or feed, then call again;
 *      rc < 0 and fatal: stop;
 *   6. migstream_reader_close(r): releases the source, reports nothing new;
 *   7. migstream_reader_free(r)  (closes if needed; NULL is a no-op).
 *
 * A failed open (MIGSTREAM_E_INVAL for a bad argument, MIGSTREAM_E_IO when
 * open_path() cannot open the file) leaves the reader as it was before the
 * call: options may still be set, and another open may be tried; until one
 * succeeds, close() and the reading calls return MIGSTREAM_E_STATE, and
 * free() releases the reader.  A misuse at any stage (MIGSTREAM_E_INVAL,
 * MIGSTREAM_E_STATE) is not fatal: reading goes on as if the call had not
 * been made.  See error.h for what errmsg holds after a failure.
 *
 * Every rule of spec/rules.md is checked as records are read.  The mode
 * decides what a finding does (rules.md section 1.1):
 *   MIGSTREAM_MODE_RESTORE (default): errors reject; "warning/S" findings
 *     (reserved fields, padding) are tolerated, reported and counted;
 *   MIGSTREAM_MODE_STRICT: warning/S findings are errors, as in Xen's own
 *     verifier;
 *   MIGSTREAM_MODE_LAX: errors are reported through the diagnostic
 *     callback and reading continues for as long as the framing holds:
 *     next() delivers a record that breaks a rule with 0 (the finding is
 *     in the callback and migstream_reader_count()), and returns a
 *     negative code only for fatal failures.
 *
 * A handle is used by one thread at a time; handles are independent.
 */
#ifndef MIGSTREAM_READER_H
#define MIGSTREAM_READER_H

#include <stddef.h>
#include <stdint.h>
#include <migstream/error.h>
#include <migstream/record.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque reader handle.  Since: 1.0 */
typedef struct migstream_reader migstream_reader;

/* ---------------------------------------------------------------------
 * Options: enum keys with uint64_t values, set before open.  Since: 1.0
 * ------------------------------------------------------------------- */
#define MIGSTREAM_OPT_MODE              1  /* MIGSTREAM_MODE_*; default RESTORE */
#define MIGSTREAM_OPT_MAX_RECORD_LEN    2  /* body cap, 8..0x08000000; default 0x08000000 */
#define MIGSTREAM_OPT_DEEP              3  /* 0/1: rules marked (deep); default 1 */
#define MIGSTREAM_OPT_FORMAT            4  /* MIGSTREAM_FORMAT_*; default AUTO */
#define MIGSTREAM_OPT_CHANNEL           5  /* 0/1: migration channel, stop after END */
#define MIGSTREAM_OPT_STREAM_KIND       6  /* MIGSTREAM_KIND_*; default AUTO */
#define MIGSTREAM_OPT_GUEST_TYPE        7  /* MIGSTREAM_GUEST_*: caller knowledge */
#define MIGSTREAM_OPT_VCPUS             8  /* guest vCPU count, 0 = unknown */
#define MIGSTREAM_OPT_P2M_SIZE          9  /* guest p2m size in pages, 0 = unknown */
#define MIGSTREAM_OPT_CLOSE_FD         10  /* 0/1: close the fd at close/free */
#define MIGSTREAM_OPT_BACK_CHANNEL_QUIRK 11 /* 0/1: CKPT-13 tolerance */
#define MIGSTREAM_OPT_MAX_PFN_MAP      12  /* octets the deep-check pfn map may use;
                                              default 0x04000000 (64 MiB = 512 GiB guest) */
#define MIGSTREAM_OPT_FEED_IN_PLACE    13  /* 0/1: push readers read fed octets where they
                                              lie, see migstream_reader_feed(); since 1.1 */

#define MIGSTREAM_MODE_RESTORE   0
#define MIGSTREAM_MODE_STRICT    1
#define MIGSTREAM_MODE_LAX       2

#define MIGSTREAM_FORMAT_AUTO    0
#define MIGSTREAM_FORMAT_LIBXC   1
#define MIGSTREAM_FORMAT_LIBXL   2
#define MIGSTREAM_FORMAT_XL      3
#define MIGSTREAM_FORMAT_LEGACY  4  /* only ever reported, never read */

#define MIGSTREAM_KIND_AUTO      0
#define MIGSTREAM_KIND_PLAIN     1
#define MIGSTREAM_KIND_REMUS     2
#define MIGSTREAM_KIND_COLO      3
#define MIGSTREAM_KIND_COLO_BACK 4

#define MIGSTREAM_GUEST_UNKNOWN  0
#define MIGSTREAM_GUEST_PV       1
#define MIGSTREAM_GUEST_HVM      2
#define MIGSTREAM_GUEST_PVH      3

/*
 * Caller callbacks for migstream_reader_open_io().
 *
 * What a callback may return: read gives 0..len (0 only at EOF; short
 * reads are fine, the reader calls again), skip gives 0..len (0 or less
 * than len only at EOF), close gives 0; each may instead return -errno,
 * errno being 1..4095.  -EINTR is retried (call again); -EAGAIN fails the
 * reader with MIGSTREAM_E_IO (callbacks must block; an event loop uses a
 * non-blocking fd or the push reader, below); any
 * other -errno fails it with MIGSTREAM_E_IO and that errno in the
 * diagnostic.  Any other value (more than len, INT64_MIN, -5000, a
 * positive close result) is a bug of the callback: MIGSTREAM_E_IO with
 * EINVAL, and a message that quotes the value.
 */
typedef struct migstream_read_io {
	/* Read up to len octets into buf: octets read, 0 at EOF, or -errno. */
	int64_t (*read)(void *ctx, void *buf, size_t len);
	/* Optional: skip len octets; octets skipped (< len only at EOF) or -errno. */
	int64_t (*skip)(void *ctx, uint64_t len);
	/* Optional: called once by close/free; 0 or -errno. */
	int (*close)(void *ctx);
} migstream_read_io;

/* ---------------------------------------------------------------------
 * Lifecycle.  Since: 1.0
 * ------------------------------------------------------------------- */

/** New reader with default options; NULL only when out of memory. */
MIGSTREAM_API migstream_reader *migstream_reader_new(void);

/** Set option key to value (before open).  E_INVAL if out of bounds. */
MIGSTREAM_API int migstream_reader_set_option(migstream_reader *r, int key, uint64_t value);

/** Current value of an option (defaults included). */
MIGSTREAM_API int migstream_reader_get_option(const migstream_reader *r, int key,
                                              uint64_t *value);

/** Bounds of an option's value, for every key the reader or the writer
 *  takes (writer keys since 1.1); MIGSTREAM_E_INVAL for any other key. */
MIGSTREAM_API int migstream_option_bounds(int key, uint64_t *min, uint64_t *max);

/** Diagnostic callback (fn NULL: none).  Can be set at any time. */
MIGSTREAM_API int migstream_reader_set_diag_handler(migstream_reader *r, migstream_diag_fn fn,
                                                    void *ctx);

/** Read from fd: files, pipes, sockets.  The fd is left open unless
 *  MIGSTREAM_OPT_CLOSE_FD.  Seekable fds are skipped over with lseek. */
MIGSTREAM_API int migstream_reader_open_fd(migstream_reader *r, int fd);

/** Open path read-only; the reader owns and closes the fd. */
MIGSTREAM_API int migstream_reader_open_path(migstream_reader *r, const char *path);

/** Read from memory, zero-copy: buf must outlive the reader's use of it
 *  (until close or free).  Also the way to read an mmap'ed file. */
MIGSTREAM_API int migstream_reader_open_memory(migstream_reader *r, const void *buf, size_t len);

/** Read through caller callbacks; io is copied (io_size = sizeof *io). */
MIGSTREAM_API int migstream_reader_open_io(migstream_reader *r, const migstream_read_io *io,
                                           size_t io_size, void *ctx);

/* ---------------------------------------------------------------------
 * Event loops: non-blocking fds and pushed octets.  Since: 1.1
 *
 * An fd opened with migstream_reader_open_fd() while O_NONBLOCK is set on
 * it (a pipe, a socket, a terminal; a regular file never blocks) is read
 * unit by unit: before the reader looks at the headers or at a record, it
 * holds the whole of it (header, body and padding; for the headers, up to
 * the first record) in its buffer.  When the fd would block before that,
 * every reading call (migstream_reader_next(), _read_headers()) returns
 * MIGSTREAM_E_AGAIN: not fatal, nothing reported or counted, nothing
 * lost; what was read is kept, and calling again once the fd is readable
 * (migstream_reader_get_poll()) goes on where it stopped.  The page
 * contents of the current record are then in the buffer too:
 * migstream_reader_read_pages() and migstream_record_get_page() never
 * wait.  The buffer holds at most MIGSTREAM_OPT_MAX_RECORD_LEN plus 256
 * octets, or 64 KiB when that is more.  Blocking fds, memory and callbacks read as before (a callback
 * returning -EAGAIN still fails the reader).
 *
 * A push reader has no source: the caller hands octets over as they
 * arrive, in pieces of any size, and pulls records with next() as far as
 * they allow:
 *
 *   migstream_reader_open_push(r);
 *   for each chunk (buf, len) received:
 *       while (len > 0) {
 *           size_t took;
 *           migstream_reader_feed(r, buf, len, &took);
 *           buf += took, len -= took;
 *           while ((rc = migstream_reader_next(r, &rec)) == 0) { use rec }
 *           if (rc != MIGSTREAM_E_AGAIN) stop (EOF, a bad record, fatal)
 *       }
 *   at the end of the input: migstream_reader_feed_end(r), then next()
 *   until it returns something else than 0 (EOF, or the truncation).
 *
 * E_AGAIN from next() means: feed more.  Records, their offsets and
 * findings are the same as when the same octets are read from any other
 * source (a push reader reads like a pipe: deep checks see every page as
 * it passes).  In channel mode (MIGSTREAM_OPT_CHANNEL) the octets fed
 * after the final END stay in the reader and migstream_reader_trailing()
 * gives them; feed() then returns E_STATE.
 * ------------------------------------------------------------------- */

/** Open r with no source: octets come from migstream_reader_feed().
 *  Options are frozen as by the other opens.  Since: 1.1 */
MIGSTREAM_API int migstream_reader_open_push(migstream_reader *r);

/**
 * Hand len octets at buf to a push reader.  It copies as many as it can
 * hold and sets *taken to that count (0..len): it holds at most one read
 * block (1 MiB) or, when the unit it waits for is larger, that unit (never
 * more than MIGSTREAM_OPT_MAX_RECORD_LEN plus 256 octets, or 64 KiB when
 * that is more).  When *taken <
 * len, call migstream_reader_next() until it returns MIGSTREAM_E_AGAIN,
 * then feed the rest: a feed right after E_AGAIN always takes at least one
 * octet.  The caller's buffer is not kept.  0; E_STATE when r is no push
 * reader, after feed_end() or after the final END of a channel; E_NOMEM
 * (fatal).  Since: 1.1
 *
 * In place (MIGSTREAM_OPT_FEED_IN_PLACE set to 1 before open_push()),
 * feed() copies nothing: it takes all len octets (*taken = len) and the
 * reader reads them where they lie; records, pfn arrays and page contents
 * it returns point into them.  The caller keeps the octets valid and
 * unchanged until next() (or read_pages()) returns something other than
 * 0; after MIGSTREAM_E_AGAIN the octets before migstream_reader_offset()
 * are free again, and those from it on (the unit the reader waits for)
 * stay needed until the next feed() has returned.  A feed of octets that
 * follow the last ones in memory (buf == previous buf + previous len)
 * goes on in place; a feed from anywhere else makes the reader copy that
 * unfinished unit first (at most the bound above), so only a unit cut by
 * the end of a caller's buffer is ever copied.  Feeding octets from
 * elsewhere while more than a unit of those fed is still unread is
 * refused with E_STATE (call next() until E_AGAIN first).  In channel
 * mode trailing() then gives the octets after END that lie in one piece
 * from the offset on; the caller has the rest.
 */
MIGSTREAM_API int migstream_reader_feed(migstream_reader *r, const void *buf, size_t len,
                                        size_t *taken);

/** A push reader's input is complete: no octets follow those fed.  next()
 *  then reads to the end as from a file that ends there (a cut-short unit
 *  is a truncation finding).  Since: 1.1 */
MIGSTREAM_API int migstream_reader_feed_end(migstream_reader *r);

/**
 * What to wait for before calling a reading call again after
 * MIGSTREAM_E_AGAIN: *fd and *events for poll() (POLLIN on the fd the
 * reader reads).  A reader with no fd (memory, callbacks, push) gives
 * *fd = -1 and *events = 0: for a push reader, wait for the caller's own
 * input, then feed it.  E_STATE before open or after close.  Since: 1.1
 */
MIGSTREAM_API int migstream_reader_get_poll(migstream_reader *r, int *fd, short *events);

/** Release the source (closing fds/callbacks as configured).  The first
 *  close error is returned; later calls return E_STATE. */
MIGSTREAM_API int migstream_reader_close(migstream_reader *r);

/** Close if needed and free.  NULL is a no-op. */
MIGSTREAM_API void migstream_reader_free(migstream_reader *r);

/* ---------------------------------------------------------------------
 * Reading.  Since: 1.0
 * ------------------------------------------------------------------- */

/** Read and verify the headers up to the first record: for an xl save
 *  file the xl and libxl headers, for a libxl stream the libxl header, for
 *  a bare image the libxc headers.  A COLO back channel has none. */
MIGSTREAM_API int migstream_reader_read_headers(migstream_reader *r);

/** Format of the stream as given or detected (MIGSTREAM_FORMAT_*). */
MIGSTREAM_API int migstream_reader_format(migstream_reader *r, uint32_t *format);

/** libxc headers of the current (or last) image; E_STATE before they are
 *  read.  In a libxl stream they are read by the first next() after
 *  LIBXC_CONTEXT, together with the first libxc record. */
MIGSTREAM_API int migstream_reader_get_image_header(migstream_reader *r,
                                                    migstream_image_header *out, size_t size);
MIGSTREAM_API int migstream_reader_get_domain_header(migstream_reader *r,
                                                     migstream_domain_header *out, size_t size);

/** xl save-file header; E_STATE unless the stream has one (after it was read). */
MIGSTREAM_API int migstream_reader_get_xl_header(migstream_reader *r, migstream_xl_header *out,
                                                 size_t size);
/** The xl header's optional data, and the domain configuration inside it
 *  (config_len octets, NUL included when xl wrote one).  Owned by the
 *  reader; valid until migstream_reader_free(). */
MIGSTREAM_API int migstream_reader_get_xl_optional_data(migstream_reader *r, const void **data,
                                                        size_t *len);
MIGSTREAM_API int migstream_reader_get_xl_config(migstream_reader *r, const void **data,
                                                 size_t *len);
/** libxl stream header; E_STATE unless the stream has one. */
MIGSTREAM_API int migstream_reader_get_libxl_header(migstream_reader *r,
                                                    migstream_libxl_header *out, size_t size);

/* ---------------------------------------------------------------------
 * Where the headers are.  Since: 1.1
 * ------------------------------------------------------------------- */

#define MIGSTREAM_HEADER_XL             1  /* xl save-file header: 48 octets at 0 */
#define MIGSTREAM_HEADER_XL_OPTIONAL    2  /* its optional data (config): optional_data_len */
#define MIGSTREAM_HEADER_LIBXL          3  /* libxl stream header: 16 octets */
#define MIGSTREAM_HEADER_IMAGE          4  /* libxc image header: 24 octets */
#define MIGSTREAM_HEADER_DOMAIN         5  /* libxc domain header: 16 octets, after the image header */

/**
 * The stream offset and length in octets of one header (MIGSTREAM_HEADER_*)
 * of the stream being read, as the reader found it: offsets count from the
 * first octet the reader read, as migstream_reader_offset() and record
 * offsets do.  The image and domain headers are those of the current (or
 * last) image: in a libxl stream they follow the LIBXC_CONTEXT record and
 * are known once the first next() after it returns.  E_STATE when the
 * stream has no such header or it is not read yet (as the get_*_header()
 * calls); E_INVAL for an unknown which or a NULL pointer.
 */
MIGSTREAM_API int migstream_reader_get_header_span(migstream_reader *r, int which,
                                                   uint64_t *offset, uint64_t *length);

/**
 * Read and verify the next record.
 *
 * The record is owned by the reader and valid until the next call to
 * migstream_reader_next(), _close() or _free() on it.
 *
 * Returns 0 with *rec set; MIGSTREAM_EOF once the final END has been
 * delivered (and, for file sources, nothing follows it); or a negative code
 * with *rec NULL.  Page contents of a PAGE_DATA record the caller did not
 * consume are skipped (with lseek where possible).  Deep checks read only
 * the contents their rules need: PV page tables as they pass and, from a
 * memory or regular-file source, the one start_info page, read back when
 * END or a CHECKPOINT completes the state; other sources have every page
 * checked as it passes.
 */
MIGSTREAM_API MIGSTREAM_WUR int migstream_reader_next(migstream_reader *r,
                                                      const migstream_record **rec);

/**
 * Restore-style page input: read the next n data-carrying pages of the
 * current PAGE_DATA record, in record order, into pages[0..n-1] (4096
 * octets each), straight from the source (readv on fds).  Pages are
 * verified as they pass (deep checks).  E_RANGE if fewer than n remain.
 */
MIGSTREAM_API int migstream_reader_read_pages(migstream_reader *r, void *const pages[],
                                              uint32_t n);

/** Stream offset of the next unread octet. */
MIGSTREAM_API uint64_t migstream_reader_offset(const migstream_reader *r);

/** Findings so far with the given MIGSTREAM_SEV_* (as applied). */
MIGSTREAM_API uint64_t migstream_reader_count(const migstream_reader *r, uint32_t severity);

/** Tolerated anomalies (warning/S findings accepted in restore mode). */
MIGSTREAM_API uint64_t migstream_reader_anomalies(const migstream_reader *r);

/** In channel mode after END: octets left in the reader's buffer that
 *  follow the stream (the caller reads the rest from its fd). */
MIGSTREAM_API int migstream_reader_trailing(migstream_reader *r, const void **data,
                                            size_t *len);

/**
 * The last error: one line, owned by the reader, valid until the next call
 * on it, never NULL ("" when there was none).  Non-empty after every
 * negative return of a call on the reader (error.h): "RULE: location:
 * detail", or "migstream_reader_...: cause" for a misuse.
 */
MIGSTREAM_API const char *migstream_reader_errmsg(const migstream_reader *r);

/** The last error in full (copied; size = sizeof *out).  out->rule and
 *  out->message point into the reader: valid until the next call on it. */
MIGSTREAM_API int migstream_reader_error(const migstream_reader *r, migstream_diag *out,
                                         size_t size);

#ifdef __cplusplus
}
#endif

#endif /* MIGSTREAM_READER_H */
