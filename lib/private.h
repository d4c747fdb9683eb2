/*
 * private.h: every private header of the library, for the files that
 * still include them all.  Each concern has its own header: alloc.h (the
 * allocator), wire.h (wire layouts and octet order), rules.h (rule table,
 * reporting), rules_libxc.h, rules_libxl.h (the rules of each layer),
 * framing.h (framing rules shared by reader and writer), flow.h (which
 * layer has the stream), pfnmap.h, options.h, source.h, sink.h, reader.h,
 * writer.h.
 */
#ifndef MIGSTREAM_PRIVATE_H
#define MIGSTREAM_PRIVATE_H

#ifndef MIGSTREAM_BUILDING
#error "private.h is private to libmigstream"
#endif

#include "migstream.h"
#include "alloc.h"
#include "wire.h"
#include "rules.h"
#include "pfnmap.h"
#include "rules_libxc.h"
#include "rules_libxl.h"
#include "flow.h"
#include "framing.h"
#include "options.h"
#include "source.h"
#include "sink.h"
#include "reader.h"
#include "writer.h"
#include "pages.h"
#include "fail.h"

#endif /* MIGSTREAM_PRIVATE_H */
