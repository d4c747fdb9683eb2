/*
 * names.c: the names of record and page types.  A leaf: every other file
 * may call it, it calls nothing of the library.
 */
#include "config.h"

#include "migstream.h"
#include "wire.h"

static const char *const libxc_names[] = {
	"END", "PAGE_DATA", "X86_PV_INFO", "X86_PV_P2M_FRAMES", "X86_PV_VCPU_BASIC",
	"X86_PV_VCPU_EXTENDED", "X86_PV_VCPU_XSAVE", "SHARED_INFO", "X86_TSC_INFO",
	"HVM_CONTEXT", "HVM_PARAMS", "TOOLSTACK", "X86_PV_VCPU_MSRS", "VERIFY", "CHECKPOINT",
	"CHECKPOINT_DIRTY_PFN_LIST", "STATIC_DATA_END", "X86_CPUID_POLICY", "X86_MSR_POLICY",
};
static const char *const libxl_names[] = {
	"END", "LIBXC_CONTEXT", "EMULATOR_XENSTORE_DATA", "EMULATOR_CONTEXT", "CHECKPOINT_END",
	"CHECKPOINT_STATE",
};

const char *migstream_record_type_name(uint32_t layer, uint32_t type)
{
	if (type & MIGSTREAM_REC_OPTIONAL)
		return "OPTIONAL";
	if (layer == MIGSTREAM_LAYER_LIBXC && type < sizeof libxc_names / sizeof *libxc_names)
		return libxc_names[type];
	if (layer == MIGSTREAM_LAYER_LIBXL && type < sizeof libxl_names / sizeof *libxl_names)
		return libxl_names[type];
	return "UNKNOWN";
}

int migstream_page_type_has_data(uint32_t type)
{
	return type <= 0xF && ms_type_has_data(type);
}

const char *migstream_page_type_name(uint32_t type)
{
	static const char *const names[16] = {
		"NOTAB", "L1TAB", "L2TAB", "L3TAB", "L4TAB", "INVALID", "INVALID", "INVALID",
		"INVALID", "L1TAB|PINNED", "L2TAB|PINNED", "L3TAB|PINNED", "L4TAB|PINNED",
		"BROKEN", "XALLOC", "XTAB",
	};
	return type < 16 ? names[type] : "INVALID";
}
