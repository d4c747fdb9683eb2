/*
 * pfnmap.h: the per-pfn page-type map of the deep checks (pfnmap.c).
 */
#ifndef MIGSTREAM_PFNMAP_H
#define MIGSTREAM_PFNMAP_H

#ifndef MIGSTREAM_BUILDING
#error "pfnmap.h is private to libmigstream"
#endif

#include <stddef.h>
#include <stdint.h>

/*
 * Deep checks keep the last page type received per pfn: 4 bits per pfn
 * (type ^ 0x8; 0x8 itself = never received), in 2 KiB leaves of 4096 pfns found
 * through a sorted directory, so memory follows the pfns actually sent.
 */
struct ms_pfnmap {
	struct ms_leaf { uint64_t base; uint8_t *bits; } *dir;
	size_t n, cap;
	size_t last;               /* cache: index of the last leaf used */
	uint64_t bytes, budget;    /* memory used and allowed */
	int over;                  /* budget exceeded: map incomplete */
};
void ms_pfnmap_init(struct ms_pfnmap *m, uint64_t budget);
void ms_pfnmap_free(struct ms_pfnmap *m);
/* 0; -1 when the budget ran out (the map is then incomplete); -2 when
 * memory ran out. */
int ms_pfnmap_set(struct ms_pfnmap *m, uint64_t pfn, uint32_t type);
/* Last type received for pfn, or -1 if never received (or unknown). */
int ms_pfnmap_get(const struct ms_pfnmap *m, uint64_t pfn);

#endif /* MIGSTREAM_PFNMAP_H */
