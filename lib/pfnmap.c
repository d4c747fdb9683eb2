/*
 * pfnmap.c: last page type received per pfn, for the deep checks.
 *
 * 4 bits per pfn in leaves of 4096 pfns
 * (2 KiB).  Leaves are found through a directory sorted by base pfn with a
 * one-entry cache, since streams send pfns in long ascending runs.  The
 * total is bounded by a budget; past it the map stops growing and the
 * caller is told (checks that need it are then skipped, with a warning).
 *
 * A nibble holds type ^ 0x8, so a zeroed leaf reads as type 0x8 ("pinned"
 * without a level), which is invalid and never stored: "never received".
 */
#include "config.h"

#include <string.h>

#include "alloc.h"
#include "pfnmap.h"

#define LEAF_SHIFT 12
#define LEAF_PFNS  (1u << LEAF_SHIFT)
#define LEAF_BYTES (LEAF_PFNS / 2)

void ms_pfnmap_init(struct ms_pfnmap *m, uint64_t budget)
{
	memset(m, 0, sizeof *m);
	m->budget = budget;
}

void ms_pfnmap_free(struct ms_pfnmap *m)
{
	for (size_t i = 0; i < m->n; i++)
		ms_free(m->dir[i].bits);
	ms_free(m->dir);
	memset(m, 0, sizeof *m);
}

/* Index of the leaf for base, or the insertion point (negative - 1). */
static inline long find(const struct ms_pfnmap *m, uint64_t base)
{
	if (m->n && m->last < m->n && m->dir[m->last].base == base)
		return (long)m->last;
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->dir[mid].base < base)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < m->n && m->dir[lo].base == base)
		return (long)lo;
	return -(long)lo - 1;
}

int ms_pfnmap_set(struct ms_pfnmap *m, uint64_t pfn, uint32_t type)
{
	uint64_t base = pfn >> LEAF_SHIFT;
	/* Runs of pfns stay in one leaf: try the last one first. */
	long i = m->n && m->dir[m->last].base == base ? (long)m->last : find(m, base);
	if (i < 0) {
		size_t at = (size_t)(-i - 1);
		if (m->over || m->bytes + LEAF_BYTES + sizeof *m->dir > m->budget) {
			m->over = 1;
			return -1;
		}
		if (m->n == m->cap) {
			size_t ncap = m->cap ? m->cap * 2 : 64;
			struct ms_leaf *nd = ms_realloc(m->dir, ncap * sizeof *nd);
			if (!nd)
				return -2;
			m->dir = nd;
			m->cap = ncap;
		}
		uint8_t *bits = ms_malloc(LEAF_BYTES);
		if (!bits)
			return -2;
		memset(bits, 0, LEAF_BYTES);
		memmove(&m->dir[at + 1], &m->dir[at], (m->n - at) * sizeof *m->dir);
		m->dir[at].base = base;
		m->dir[at].bits = bits;
		m->n++;
		m->bytes += LEAF_BYTES + sizeof *m->dir;
		i = (long)at;
	}
	m->last = (size_t)i;
	uint32_t off = (uint32_t)(pfn & (LEAF_PFNS - 1));
	uint8_t *b = &m->dir[i].bits[off >> 1];
	if ((type & 0xFu) == 0x8u)
		return 0;
	uint8_t v = (uint8_t)((type ^ 0x8u) & 0xFu);
	if (off & 1)
		*b = (uint8_t)((*b & 0x0Fu) | (uint8_t)(v << 4));
	else
		*b = (uint8_t)((*b & 0xF0u) | v);
	return 0;
}

int ms_pfnmap_get(const struct ms_pfnmap *m, uint64_t pfn)
{
	long i = find(m, pfn >> LEAF_SHIFT);
	if (i < 0)
		return -1;
	uint32_t off = (uint32_t)(pfn & (LEAF_PFNS - 1));
	uint8_t b = m->dir[i].bits[off >> 1];
	uint8_t v = (off & 1) ? (uint8_t)(b >> 4) : (uint8_t)(b & 0x0Fu);
	v ^= 0x8u;
	return v == 0x8u ? -1 : (int)v;
}
