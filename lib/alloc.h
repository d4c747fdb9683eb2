/*
 * alloc.h: the allocator every allocation of the library goes through.
 */
#ifndef MIGSTREAM_ALLOC_H
#define MIGSTREAM_ALLOC_H

#ifndef MIGSTREAM_BUILDING
#error "alloc.h is private to libmigstream"
#endif

#include <stddef.h>

#define MS_HIDDEN __attribute__((visibility("hidden")))

/* Allocation goes through these so tests can fail the n-th allocation. */
void *ms_malloc(size_t n);
void *ms_realloc(void *p, size_t n);
void ms_free(void *p);

#ifdef MIGSTREAM_TESTING
/* Test library only (see error.c). */
void migstream__test_alloc_fail_at(unsigned long n);
unsigned long migstream__test_alloc_count(void);
size_t migstream__test_alloc_max(void);
#endif

#endif /* MIGSTREAM_ALLOC_H */
