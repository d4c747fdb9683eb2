/*
 * libmigstream - read, verify and write Xen domain save/migration streams.
 * Copyright (c) 2026 The libmigstream authors.  MIT licence, see COPYING.
 *
 * The only header users include.  The formats are those of Xen's libxc
 * domain image (stream versions 2 and 3), the libxl stream around it and
 * the xl save-file header; every verification rule has a stable ID.
 */
#ifndef MIGSTREAM_H
#define MIGSTREAM_H

#include <migstream/version.h>
#include <migstream/error.h>
#include <migstream/record.h>
#include <migstream/reader.h>
#include <migstream/writer.h>
#include <migstream/rules.h>
#include <migstream/checkpoint.h>

#endif /* MIGSTREAM_H */
