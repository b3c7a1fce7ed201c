#pragma once
// Timers on the default GLib main context (the daemon's event loop), with C++ callables.

#include <chrono>
#include <functional>
#include <glib.h>

namespace recorder {

// Runs `callback` after `delay`, and again every `delay` while it returns true. Returns the source id
// (for g_source_remove). The callable is destroyed with the source.
guint run_after(std::chrono::milliseconds delay, std::function<bool()> callback);

}  // namespace recorder
