#include "pipelines/durable_file_sink.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <gst/base/gstbasesink.h>
#include <string>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "pipelines/mp4_box_tracker.h"

namespace recorder::pipelines {
namespace {

struct DurableFileSink {
  GstBaseSink parent;
  gchar* location;
  guint64 reserve_bytes;
  int fd;
  Mp4BoxTracker* tracker;
};

struct DurableFileSinkClass {
  GstBaseSinkClass parent_class;
};

enum { PROP_0, PROP_LOCATION, PROP_RESERVE_BYTES };

GType durable_file_sink_get_type();
#define DURABLE_FILE_SINK(obj) (reinterpret_cast<DurableFileSink*>(obj))

G_DEFINE_TYPE(DurableFileSink, durable_file_sink, GST_TYPE_BASE_SINK)

GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

// fsync of a directory makes the names created in it durable.
bool sync_directory(const std::filesystem::path& dir) {
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = fsync(fd) == 0;
  close(fd);
  return ok;
}

// mkdir -p that syncs each parent in which it created a directory, so the new path survives a power cut.
bool create_directories_durably(const std::filesystem::path& dir) {
  if (dir.empty() || std::filesystem::is_directory(dir)) return true;
  if (!create_directories_durably(dir.parent_path())) return false;
  if (mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) return false;
  return sync_directory(dir.parent_path().empty() ? "." : dir.parent_path());
}

void post_write_error(DurableFileSink* self, const char* what) {
  const int saved = errno;
  if (saved == ENOSPC) {
    GST_ELEMENT_ERROR(self, RESOURCE, NO_SPACE_LEFT, ("No space left on the recording disk."),
                      ("%s %s: %s", what, self->location, g_strerror(saved)));
  } else {
    GST_ELEMENT_ERROR(self, RESOURCE, WRITE, ("Could not write segment file."),
                      ("%s %s: %s", what, self->location, g_strerror(saved)));
  }
}

bool would_eat_reserve(DurableFileSink* self, gsize size);

gboolean sink_start(GstBaseSink* base) {
  auto* self = DURABLE_FILE_SINK(base);
  if (self->location == nullptr) {
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("No file name given."), (nullptr));
    return FALSE;
  }
  const std::filesystem::path path(self->location);
  if (!create_directories_durably(path.parent_path())) {
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_WRITE, ("Could not create the segment directory."),
                      ("%s: %s", path.parent_path().c_str(), g_strerror(errno)));
    return FALSE;
  }
  // O_EXCL: a segment file is never overwritten, whatever the clock does.
  self->fd = open(self->location, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (self->fd < 0) {
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_WRITE, ("Could not create segment file."),
                      ("%s: %s", self->location, g_strerror(errno)));
    return FALSE;
  }
  if (!sync_directory(path.parent_path())) {
    GST_ELEMENT_ERROR(self, RESOURCE, SYNC, ("Could not sync the segment directory."),
                      ("%s: %s", path.parent_path().c_str(), g_strerror(errno)));
    return FALSE;
  }
  delete self->tracker;
  self->tracker = new Mp4BoxTracker();
  return TRUE;
}

gboolean sink_stop(GstBaseSink* base) {
  auto* self = DURABLE_FILE_SINK(base);
  gboolean ok = TRUE;
  if (self->fd >= 0) {
    if (fdatasync(self->fd) != 0) {
      post_write_error(self, "fdatasync");
      ok = FALSE;
    }
    close(self->fd);
    self->fd = -1;
    // A segment without one complete fragment (the disk was full, the camera vanished, the recorder
    // stopped right after opening it) holds no footage: leave no such file behind.
    const bool holds_footage = self->tracker != nullptr && self->tracker->media_boxes_completed() > 0;
    if (!holds_footage && self->location != nullptr && unlink(self->location) == 0)
      sync_directory(std::filesystem::path(self->location).parent_path());
  }
  delete self->tracker;
  self->tracker = nullptr;
  return ok;
}

bool write_all(int fd, const guint8* data, gsize size) {
  while (size > 0) {
    const ssize_t n = write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    size -= static_cast<gsize>(n);
  }
  return true;
}

// True when writing `size` more bytes would leave less than the reserve free.
bool would_eat_reserve(DurableFileSink* self, gsize size) {
  if (self->reserve_bytes == 0) return false;
  struct statvfs stats {};
  if (fstatvfs(self->fd, &stats) != 0) return false;
  const guint64 available = static_cast<guint64>(stats.f_bavail) * stats.f_frsize;
  return available < self->reserve_bytes + size;
}

GstFlowReturn sink_render(GstBaseSink* base, GstBuffer* buffer) {
  auto* self = DURABLE_FILE_SINK(base);
  if (would_eat_reserve(self, gst_buffer_get_size(buffer))) {
    GST_ELEMENT_ERROR(self, RESOURCE, NO_SPACE_LEFT, ("No space left on the recording disk."),
                      ("keeping the last %" G_GUINT64_FORMAT " MiB free for the catalog (%s)", self->reserve_bytes >> 20,
                       self->location));
    return GST_FLOW_ERROR;
  }
  GstMapInfo map;
  if (!gst_buffer_map(buffer, &map, GST_MAP_READ)) return GST_FLOW_ERROR;
  const bool written = write_all(self->fd, map.data, map.size);
  const int completed = written ? self->tracker->feed(map.data, map.size) : 0;
  gst_buffer_unmap(buffer, &map);
  if (!written) {
    post_write_error(self, "write");
    return GST_FLOW_ERROR;
  }
  // A fragment is complete: make it durable before accepting more data.
  if (completed > 0 && fdatasync(self->fd) != 0) {
    post_write_error(self, "fdatasync");
    return GST_FLOW_ERROR;
  }
  return GST_FLOW_OK;
}

gboolean sink_query(GstBaseSink* base, GstQuery* query) {
  if (GST_QUERY_TYPE(query) == GST_QUERY_SEEKING) {
    GstFormat format;
    gst_query_parse_seeking(query, &format, nullptr, nullptr, nullptr);
    gst_query_set_seeking(query, format, FALSE, 0, -1);
    return TRUE;
  }
  return GST_BASE_SINK_CLASS(durable_file_sink_parent_class)->query(base, query);
}

void sink_set_property(GObject* object, guint id, const GValue* value, GParamSpec* spec) {
  auto* self = DURABLE_FILE_SINK(object);
  if (id == PROP_LOCATION) {
    g_free(self->location);
    self->location = g_value_dup_string(value);
  } else if (id == PROP_RESERVE_BYTES) {
    self->reserve_bytes = g_value_get_uint64(value);
  } else {
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec);
  }
}

void sink_get_property(GObject* object, guint id, GValue* value, GParamSpec* spec) {
  auto* self = DURABLE_FILE_SINK(object);
  if (id == PROP_LOCATION) g_value_set_string(value, self->location);
  else if (id == PROP_RESERVE_BYTES) g_value_set_uint64(value, self->reserve_bytes);
  else G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec);
}

void sink_finalize(GObject* object) {
  auto* self = DURABLE_FILE_SINK(object);
  if (self->fd >= 0) close(self->fd);
  delete self->tracker;
  g_free(self->location);
  G_OBJECT_CLASS(durable_file_sink_parent_class)->finalize(object);
}

void durable_file_sink_class_init(DurableFileSinkClass* klass) {
  auto* object_class = G_OBJECT_CLASS(klass);
  object_class->set_property = sink_set_property;
  object_class->get_property = sink_get_property;
  object_class->finalize = sink_finalize;
  g_object_class_install_property(
      object_class, PROP_LOCATION,
      g_param_spec_string("location", "Location", "Path of the file to create (must not exist)", nullptr,
                          static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)));
  g_object_class_install_property(
      object_class, PROP_RESERVE_BYTES,
      g_param_spec_uint64("reserve-bytes", "Reserve bytes", "Free space never to write into (0: none)", 0,
                          G_MAXUINT64, 0, static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)));

  auto* element_class = GST_ELEMENT_CLASS(klass);
  gst_element_class_set_static_metadata(element_class, "Durable file sink", "Sink/File",
                                        "Writes fragmented MP4 and syncs every complete fragment",
                                        "onboard recorder");
  gst_element_class_add_static_pad_template(element_class, &sink_template);

  auto* base_class = GST_BASE_SINK_CLASS(klass);
  base_class->start = sink_start;
  base_class->stop = sink_stop;
  base_class->render = sink_render;
  base_class->query = sink_query;
}

void durable_file_sink_init(DurableFileSink* self) {
  self->location = nullptr;
  self->reserve_bytes = 0;
  self->fd = -1;
  self->tracker = nullptr;
  // Files are written as fast as data comes; there is nothing to synchronise against a clock.
  gst_base_sink_set_sync(GST_BASE_SINK(self), FALSE);
}

}  // namespace

void register_durable_file_sink() {
  gst_element_register(nullptr, "durablefilesink", GST_RANK_NONE, durable_file_sink_get_type());
}

}  // namespace recorder::pipelines
