/*
 * libmigstream - Xen domain save/migration streams
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * error.h: export macro, status codes, severities and diagnostics.
 *
 * The error model in one paragraph:
 *   Functions returning int give 0 on success, MIGSTREAM_EOF (1) from
 *   migstream_reader_next() once the stream's final END has been delivered,
 *   and a negative MIGSTREAM_E_* code on failure.  Codes are stable: their
 *   values never change and new ones are only appended.  Fatal codes (see
 *   migstream_error_is_fatal()) leave the handle dead: every later call
 *   that reads or writes returns the same code.  Record-level codes leave
 *   the framing intact, so a verifier may call migstream_reader_next()
 *   again and keep reporting.  A misuse (MIGSTREAM_E_INVAL: a bad
 *   argument; MIGSTREAM_E_STATE: a call the handle's state does not allow)
 *   is not fatal: the call did nothing and the handle reads or writes on
 *   as if it had not been made.
 *   Every rule violation, warning and informational finding is also
 *   delivered, with full detail, as a migstream_diag to the handle's
 *   diagnostic callback.
 *
 *   After every negative return of a function that takes a (non-const)
 *   reader or writer, that handle's errmsg (migstream_reader_errmsg(),
 *   migstream_writer_errmsg()) is a non-empty line: "RULE: location:
 *   detail" for a finding, "location: detail" for a failure of the source
 *   or sink, "function: cause" for a misuse (a misuse is neither delivered
 *   to the diagnostic callback nor counted: it says nothing about the
 *   stream).  On a dead handle it still names the failure.  Three kinds of
 *   call report by their return code alone and leave errmsg as it was: a
 *   NULL handle (MIGSTREAM_E_INVAL; errmsg(NULL) is "invalid
 *   reader handle" or "invalid writer handle"), functions on a const
 *   handle (migstream_reader_get_option(), _error(), and the writer's
 *   _error()), and the record accessors of record.h.
 */
#ifndef MIGSTREAM_ERROR_H
#define MIGSTREAM_ERROR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Symbols are hidden by default; MIGSTREAM_API marks the public ones. */
#if defined(MIGSTREAM_BUILDING) && defined(__GNUC__)
#define MIGSTREAM_API __attribute__((visibility("default")))
#else
#define MIGSTREAM_API
#endif

#if defined(__GNUC__)
#define MIGSTREAM_WUR __attribute__((warn_unused_result))
#else
#define MIGSTREAM_WUR
#endif

/* ---------------------------------------------------------------------
 * Status codes.  Since: 1.0 unless marked otherwise.
 * -1..-19 usage and system, -20..-39 framing and stream structure,
 * -40..-59 record bodies and cross-record consistency.
 * ------------------------------------------------------------------- */
#define MIGSTREAM_OK                     0
#define MIGSTREAM_EOF                    1   /* final END delivered */

#define MIGSTREAM_E_INVAL               -1   /* bad argument */
#define MIGSTREAM_E_STATE               -2   /* call not valid in this state */
#define MIGSTREAM_E_NOMEM               -3   /* out of memory */
#define MIGSTREAM_E_IO                  -4   /* I/O error; errno saved */
#define MIGSTREAM_E_AGAIN               -5   /* non-blocking source/sink not ready */
#define MIGSTREAM_E_UNSUPPORTED         -6   /* valid input this build cannot handle */

#define MIGSTREAM_E_TRUNCATED          -20   /* EOF inside a header or record, or before END */
#define MIGSTREAM_E_BAD_MAGIC          -21   /* marker, id, ident or magic wrong */
#define MIGSTREAM_E_VERSION            -22   /* unsupported version */
#define MIGSTREAM_E_HEADER             -23   /* bad header field (domain type, page size, ...) */
#define MIGSTREAM_E_TOO_LONG           -24   /* body_length above the cap */
#define MIGSTREAM_E_UNKNOWN_MANDATORY  -25   /* undefined type with bit 31 clear */
#define MIGSTREAM_E_SEQUENCE           -26   /* record not allowed here */
#define MIGSTREAM_E_TRAILING           -27   /* octets after the final END */
#define MIGSTREAM_E_LEGACY             -28   /* pre-4.6 (legacy) stream */
#define MIGSTREAM_E_RESERVED           -29   /* non-zero reserved field or padding (strict) */
#define MIGSTREAM_E_NOT_STREAM         -30   /* not a Xen stream: another format or compressed
                                                (since 1.1) */

#define MIGSTREAM_E_BODY_LENGTH        -40   /* body length wrong for the record type */
#define MIGSTREAM_E_PAGE_TYPE          -41   /* invalid PAGE_DATA page type */
#define MIGSTREAM_E_FIELD              -42   /* field value out of range */
#define MIGSTREAM_E_CONSISTENCY        -43   /* disagrees with earlier records or knowledge */
#define MIGSTREAM_E_WRONG_TYPE         -44   /* accessor used on a record of another type */
#define MIGSTREAM_E_RANGE              -45   /* accessor index out of range */

/* ---------------------------------------------------------------------
 * Severities (spec/rules.md section 1.1) and layers.
 * ------------------------------------------------------------------- */
#define MIGSTREAM_SEV_INFO               0
#define MIGSTREAM_SEV_WARNING            1
#define MIGSTREAM_SEV_ERROR              2

#define MIGSTREAM_LAYER_NONE             0
#define MIGSTREAM_LAYER_XL               1
#define MIGSTREAM_LAYER_LIBXL            2
#define MIGSTREAM_LAYER_LIBXC            3

/* No record: header findings carry this as record_index. */
#define MIGSTREAM_NO_RECORD  UINT64_MAX

/**
 * One finding: an error, warning or informational report.
 *
 * Given to the diagnostic callback, the struct and the strings it points
 * to are valid only during that call: the struct is the library's, and
 * message is formatted in a buffer of the handle that the next finding
 * overwrites.  Copy what you keep (the fields, and the strings with
 * strdup() or into your own buffer).  The copy made by
 * migstream_reader_error() or migstream_writer_error() points into the
 * handle: valid until the next call on that handle.
 *
 * Since: 1.0
 */
typedef struct migstream_diag {
	int32_t code;           /* MIGSTREAM_E_* for errors, 0 otherwise */
	uint32_t severity;      /* MIGSTREAM_SEV_* as applied in the current mode */
	uint32_t layer;         /* MIGSTREAM_LAYER_* */
	uint32_t rec_type;      /* wire type of the record, 0 in headers */
	uint64_t offset;        /* stream offset of the record header (or field; EOF for truncation) */
	uint64_t record_index;  /* ordinal of the record in its layer, or MIGSTREAM_NO_RECORD */
	int32_t sys_errno;      /* errno for MIGSTREAM_E_IO, else 0 */
	uint32_t reserved;
	const char *rule;       /* rule ID from spec/rules.md ("PAGE-6"), or "" */
	const char *message;    /* one line: location and detail (the rule is in .rule) */
} migstream_diag;

/**
 * Diagnostic callback: called once for every finding, in stream order.
 * diag and its strings are valid only until the callback returns (see
 * migstream_diag).  It must not call back into the handle that reported
 * the finding.
 */
typedef void (*migstream_diag_fn)(void *ctx, const migstream_diag *diag);

/** Static, never-NULL description of any status code.  Since: 1.0 */
MIGSTREAM_API const char *migstream_strerror(int code);

/** Static, never-NULL symbolic name ("MIGSTREAM_E_TRUNCATED").  Since: 1.0 */
MIGSTREAM_API const char *migstream_error_name(int code);

/**
 * Non-zero if code leaves the handle dead (framing lost, I/O or memory
 * failure, input this build cannot handle, trailing octets), and for any
 * negative code this version does not define.  Zero for success and EOF,
 * for record-level errors (the record is bad, the framing holds: reading
 * may continue), for MIGSTREAM_E_INVAL and MIGSTREAM_E_STATE (a misuse:
 * the call did nothing and the handle is as it was) and for
 * MIGSTREAM_E_AGAIN.  Since: 1.0
 */
MIGSTREAM_API int migstream_error_is_fatal(int code);

/** Static name of a severity ("error", "warning", "info").  Since: 1.0 */
MIGSTREAM_API const char *migstream_severity_name(uint32_t severity);

#ifdef __cplusplus
}
#endif

#endif /* MIGSTREAM_ERROR_H */
