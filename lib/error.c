/*
 * error.c: status code names and descriptions, allocation wrappers.
 */
#include "config.h"

#include <stdlib.h>

#include "migstream.h"
#include "alloc.h"

/* One table for names, descriptions and fatality. */
#define MS_CODES(X) \
	X(MIGSTREAM_OK, "success", 0) \
	X(MIGSTREAM_EOF, "end of stream", 0) \
	X(MIGSTREAM_E_INVAL, "invalid argument", 0) \
	X(MIGSTREAM_E_STATE, "call not valid in the handle's current state", 0) \
	X(MIGSTREAM_E_NOMEM, "out of memory", 1) \
	X(MIGSTREAM_E_IO, "input/output error", 1) \
	X(MIGSTREAM_E_AGAIN, "resource temporarily unavailable", 0) \
	X(MIGSTREAM_E_UNSUPPORTED, "valid input that this version cannot handle", 1) \
	X(MIGSTREAM_E_TRUNCATED, "stream truncated", 1) \
	X(MIGSTREAM_E_BAD_MAGIC, "not a stream of the expected format (bad marker, id or magic)", 1) \
	X(MIGSTREAM_E_VERSION, "unsupported format version", 1) \
	X(MIGSTREAM_E_HEADER, "invalid header field", 1) \
	X(MIGSTREAM_E_TOO_LONG, "record longer than the record cap", 1) \
	X(MIGSTREAM_E_UNKNOWN_MANDATORY, "unknown or unhandled mandatory record", 0) \
	X(MIGSTREAM_E_SEQUENCE, "record not allowed at this point of the stream", 0) \
	X(MIGSTREAM_E_TRAILING, "data after the end of the stream", 1) \
	X(MIGSTREAM_E_LEGACY, "legacy (pre-Xen 4.6) stream; convert it first", 1) \
	X(MIGSTREAM_E_RESERVED, "reserved field or padding not zero", 0) \
	X(MIGSTREAM_E_NOT_STREAM, "not a Xen save or migration stream (another format, or compressed)", 1) \
	X(MIGSTREAM_E_BODY_LENGTH, "record body length wrong for its type", 0) \
	X(MIGSTREAM_E_PAGE_TYPE, "invalid page type", 0) \
	X(MIGSTREAM_E_FIELD, "field value out of range", 0) \
	X(MIGSTREAM_E_CONSISTENCY, "inconsistent with earlier records or known facts", 0) \
	X(MIGSTREAM_E_WRONG_TYPE, "accessor does not apply to this record type", 0) \
	X(MIGSTREAM_E_RANGE, "index out of range", 0)

const char *migstream_strerror(int code)
{
	switch (code) {
#define MS_DESC(c, d, f) case c: return d;
	MS_CODES(MS_DESC)
#undef MS_DESC
	default:
		return "unknown status code";
	}
}

const char *migstream_error_name(int code)
{
	switch (code) {
#define MS_NAME(c, d, f) case c: return #c;
	MS_CODES(MS_NAME)
#undef MS_NAME
	default:
		return "MIGSTREAM_E_UNKNOWN";
	}
}

int migstream_error_is_fatal(int code)
{
	switch (code) {
#define MS_FATAL(c, d, f) case c: return f;
	MS_CODES(MS_FATAL)
#undef MS_FATAL
	default:
		return code < 0;
	}
}

const char *migstream_severity_name(uint32_t severity)
{
	switch (severity) {
	case MIGSTREAM_SEV_INFO: return "info";
	case MIGSTREAM_SEV_WARNING: return "warning";
	case MIGSTREAM_SEV_ERROR: return "error";
	default: return "unknown";
	}
}

#ifdef MIGSTREAM_TESTING
/*
 * Allocation-failure testing (tests only: this code is compiled into the
 * non-installed test library, never into libmigstream.so).  After
 * migstream__test_alloc_fail_at(n), the n-th allocation from then on fails
 * (0 = none fails); the counters tell how many allocations were made and
 * the largest single request.
 */
static unsigned long alloc_count, alloc_fail_at;
static size_t alloc_max;

void migstream__test_alloc_fail_at(unsigned long n)
{
	alloc_count = 0;
	alloc_max = 0;
	alloc_fail_at = n;
}

unsigned long migstream__test_alloc_count(void)
{
	return alloc_count;
}

size_t migstream__test_alloc_max(void)
{
	return alloc_max;
}

static int alloc_fails(size_t n)
{
	alloc_count++;
	if (n > alloc_max)
		alloc_max = n;
	return alloc_fail_at && alloc_count == alloc_fail_at;
}
#else
static int alloc_fails(size_t n)
{
	(void)n;
	return 0;
}
#endif

void *ms_malloc(size_t n)
{
	if (alloc_fails(n))
		return NULL;
	return malloc(n ? n : 1);
}

void *ms_realloc(void *p, size_t n)
{
	if (alloc_fails(n))
		return NULL;
	return realloc(p, n ? n : 1);
}

void ms_free(void *p)
{
	free(p);
}
