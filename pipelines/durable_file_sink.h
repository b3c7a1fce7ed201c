#pragma once
// `durablefilesink`: a file sink for fragmented MP4 that makes every complete fragment durable.
//
// It creates the file exclusively (never overwrites footage), syncs the new file's directory entry, and
// calls fdatasync each time a fragment's mdat box has been fully written, so a power cut loses at most
// the fragment in progress. It answers "not seekable", so the muxer never goes back to rewrite the head
// of a file (a rewrite in progress at a power cut could damage a file that was already playable).
// With `reserve-bytes` set, it fails with "no space left" rather than eat into that much free space, so
// that a disk full of protected footage still has room for the catalog and an operator's unprotect.

#include <gst/gst.h>

namespace recorder::pipelines {

// Registers the element under the name "durablefilesink" (once per process; safe to call again).
void register_durable_file_sink();

}  // namespace recorder::pipelines
