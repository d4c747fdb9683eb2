/*
 * options.c: the option table of the reader and the writer, and
 * migstream_option_bounds().
 */
#include "config.h"

#include "rules.h"
#include "options.h"
#include "rules_libxc.h"

#define R MS_OPT_READER
#define W MS_OPT_WRITER

static const struct {
	uint64_t def, min, max;
	unsigned who;                 /* MS_OPT_READER | MS_OPT_WRITER; 0: no such key */
} opt_table[MS_OPT_MAX + 1] = {
	[MIGSTREAM_OPT_MODE] = { MIGSTREAM_MODE_RESTORE, 0, MIGSTREAM_MODE_LAX, R },
	[MIGSTREAM_OPT_MAX_RECORD_LEN] = { MIGSTREAM_MAX_RECORD_LEN, 8, MIGSTREAM_MAX_RECORD_LEN, R | W },
	[MIGSTREAM_OPT_DEEP] = { 1, 0, 1, R | W },
	[MIGSTREAM_OPT_FORMAT] = { MIGSTREAM_FORMAT_AUTO, 0, MIGSTREAM_FORMAT_XL, R },
	[MIGSTREAM_OPT_CHANNEL] = { 0, 0, 1, R },
	[MIGSTREAM_OPT_STREAM_KIND] = { MIGSTREAM_KIND_AUTO, 0, MIGSTREAM_KIND_COLO_BACK, R | W },
	[MIGSTREAM_OPT_GUEST_TYPE] = { MIGSTREAM_GUEST_UNKNOWN, 0, MIGSTREAM_GUEST_PVH, R | W },
	[MIGSTREAM_OPT_VCPUS] = { 0, 0, UINT32_MAX, R | W },
	[MIGSTREAM_OPT_P2M_SIZE] = { 0, 0, UINT64_C(1) << 52, R | W },
	[MIGSTREAM_OPT_CLOSE_FD] = { 0, 0, 1, R | W },
	[MIGSTREAM_OPT_BACK_CHANNEL_QUIRK] = { 0, 0, 1, R },
	[MIGSTREAM_OPT_MAX_PFN_MAP] = { UINT64_C(64) << 20, 0, UINT64_C(1) << 40, R | W },
	[MIGSTREAM_OPT_FEED_IN_PLACE] = { 0, 0, 1, R },
	[MIGSTREAM_OPT_RAW] = { 0, 0, 1, W },
	[MIGSTREAM_OPT_WAIT] = { 0, 0, 1, W },
	[MIGSTREAM_OPT_FILE_MODE] = { 0666, 0, 07777, W },
	[MIGSTREAM_OPT_TRUNCATE] = { 0, 0, 1, W },
	[MIGSTREAM_OPT_SYNC] = { 0, 0, 1, W },
	[MIGSTREAM_OPT_ATOMIC] = { 0, 0, 1, W },
};

int ms_opt_known(int key, unsigned who)
{
	return key >= 0 && key <= MS_OPT_MAX && (opt_table[key].who & who);
}

void ms_opt_defaults(uint64_t opt[MS_OPT_MAX + 1], unsigned who)
{
	for (int k = 0; k <= MS_OPT_MAX; k++)
		opt[k] = opt_table[k].who & who ? opt_table[k].def : 0;
}

int ms_opt_check(struct ms_ctx *c, const char *fn, unsigned who, int key, uint64_t value)
{
	if (!ms_opt_known(key, who))
		return ms_usage(c, MIGSTREAM_E_INVAL, fn, "unknown %s option %d",
		                who == MS_OPT_READER ? "reader" : "writer", key);
	if (value < opt_table[key].min || value > opt_table[key].max)
		return ms_usage(c, MIGSTREAM_E_INVAL, fn, "option %d: value %llu outside %llu..%llu", key,
		                (unsigned long long)value, (unsigned long long)opt_table[key].min,
		                (unsigned long long)opt_table[key].max);
	return 0;
}

int migstream_option_bounds(int key, uint64_t *min, uint64_t *max)
{
	if (!ms_opt_known(key, MS_OPT_READER | MS_OPT_WRITER))
		return MIGSTREAM_E_INVAL;
	if (min)
		*min = opt_table[key].min;
	if (max)
		*max = opt_table[key].max;
	return 0;
}

void ms_opt_apply_libxc(const uint64_t opt[MS_OPT_MAX + 1], struct ms_libxc *x)
{
	x->deep = (int)opt[MIGSTREAM_OPT_DEEP];
	x->channel = (int)opt[MIGSTREAM_OPT_CHANNEL];
	x->kind = (int)opt[MIGSTREAM_OPT_STREAM_KIND];
	x->guest_type = (int)opt[MIGSTREAM_OPT_GUEST_TYPE];
	x->vcpus = (uint32_t)opt[MIGSTREAM_OPT_VCPUS];
	x->p2m_size = opt[MIGSTREAM_OPT_P2M_SIZE];
	ms_pfnmap_init(&x->map, opt[MIGSTREAM_OPT_MAX_PFN_MAP]);
}
