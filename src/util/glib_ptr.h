// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <glib-object.h>
#include <glib.h>

#include "util/cdeleter.h"

namespace dvs::util {

// Owning pointers for GLib handles (util/cdeleter.h). Users of this header link GLib.
template <typename T>
using GObjectPtr = CPtr<T, g_object_unref>;
using GErrorPtr = CPtr<GError, g_error_free>;
using GMainContextPtr = CPtr<GMainContext, g_main_context_unref>;

// A GSource attached to a context: destroyed (detached) and unreferenced on release, so that
// its callback can no longer run once the owner is gone.
inline void destroyAndUnrefSource(GSource* source) noexcept
{
    g_source_destroy(source);
    g_source_unref(source);
}
using AttachedSource = CPtr<GSource, destroyAndUnrefSource>;

} // namespace dvs::util
