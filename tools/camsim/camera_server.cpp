#include "camera_server.h"

#include <gst/app/gstappsrc.h>
#include <stdexcept>

namespace camsim {
namespace {

// Replays one loop into one appsrc. Runs on that appsrc's streaming thread only.
struct LoopPlayer {
  const EncodedLoop* loop;
  std::size_t next = 0;
  guint64 loops_done = 0;
  GstClockTime base = GST_CLOCK_TIME_NONE;  // running time at which the first unit was due
  SentCounters* sent = nullptr;             // null for audio
};

// appsrc asks for data: hand it the next unit once it is due, so the stream runs in real time.
void on_need_data(GstAppSrc* source, guint, gpointer data) {
  auto* player = static_cast<LoopPlayer*>(data);
  GstClock* clock = gst_element_get_clock(GST_ELEMENT(source));
  if (clock == nullptr) return;  // not playing yet; appsrc asks again
  const GstClockTime base_time = gst_element_get_base_time(GST_ELEMENT(source));
  if (player->base == GST_CLOCK_TIME_NONE) player->base = gst_clock_get_time(clock) - base_time;

  const EncodedUnit& unit = player->loop->units[player->next];
  const GstClockTime pts = player->base + player->loops_done * player->loop->loop_duration + unit.offset;
  GstClockID due = gst_clock_new_single_shot_id(clock, base_time + pts);
  gst_clock_id_wait(due, nullptr);
  gst_clock_id_unref(due);
  gst_object_unref(clock);

  GstBuffer* buffer = gst_buffer_copy(unit.buffer);  // shares the memory; only the metadata is new
  GST_BUFFER_PTS(buffer) = pts;
  GST_BUFFER_DTS(buffer) = pts;
  GST_BUFFER_DURATION(buffer) = unit.duration;
  if (++player->next == player->loop->units.size()) {
    player->next = 0;
    ++player->loops_done;
  }
  if (player->sent != nullptr) {
    player->sent->video_frames.fetch_add(1, std::memory_order_relaxed);
    player->sent->video_bytes.fetch_add(gst_buffer_get_size(buffer), std::memory_order_relaxed);
  }
  gst_app_src_push_buffer(source, buffer);
}

void attach_player(GstElement* bin, const char* name, const EncodedLoop& loop, SentCounters* sent) {
  GstElement* source = gst_bin_get_by_name(GST_BIN(bin), name);
  if (source == nullptr) return;
  g_object_set(source, "caps", loop.caps, "format", GST_FORMAT_TIME, "is-live", TRUE, "max-buffers", guint64(2),
               nullptr);
  auto* player = new LoopPlayer{&loop};
  player->sent = sent;
  g_signal_connect_data(source, "need-data", G_CALLBACK(on_need_data), player,
                        [](gpointer p, GClosure*) { delete static_cast<LoopPlayer*>(p); }, GConnectFlags(0));
  gst_object_unref(source);
}

struct MediaLoops {
  const EncodedLoop* video;
  const EncodedLoop* audio;
  SentCounters* sent;
};

void on_media_configure(GstRTSPMediaFactory*, GstRTSPMedia* media, gpointer data) {
  auto* loops = static_cast<MediaLoops*>(data);
  GstElement* bin = gst_rtsp_media_get_element(media);
  attach_player(bin, "video", *loops->video, loops->sent);
  if (loops->audio) attach_player(bin, "audio", *loops->audio, nullptr);
  gst_object_unref(bin);
}

}  // namespace

CameraServer::CameraServer(const ServerOptions& options, const EncodedLoop& video, const EncodedLoop* audio)
    : options_(options), video_(video), audio_(audio) {}

CameraServer::~CameraServer() {
  if (server_) g_object_unref(server_);
}

int CameraServer::start() {
  server_ = gst_rtsp_server_new();
  gst_rtsp_server_set_address(server_, options_.address.c_str());
  gst_rtsp_server_set_service(server_, std::to_string(options_.port).c_str());

  const bool authenticated = !options_.user.empty();
  if (authenticated) {
    GstRTSPAuth* auth = gst_rtsp_auth_new();
    gst_rtsp_auth_set_supported_methods(auth, GST_RTSP_AUTH_DIGEST);
    GstRTSPToken* token =
        gst_rtsp_token_new(GST_RTSP_TOKEN_MEDIA_FACTORY_ROLE, G_TYPE_STRING, "camera-user", nullptr);
    gst_rtsp_auth_add_digest(auth, options_.user.c_str(), options_.password.c_str(), token);
    gst_rtsp_token_unref(token);
    gst_rtsp_server_set_auth(server_, auth);
    g_object_unref(auth);
  }

  if (options_.session_timeout_seconds > 0) close_clients_not_kept_alive();

  std::string launch = "( appsrc name=video ! " + video_.payloader + " name=pay0 pt=96";
  if (audio_) launch += " appsrc name=audio ! " + audio_->payloader + " name=pay1 pt=97";
  launch += " )";

  GstRTSPMountPoints* mounts = gst_rtsp_server_get_mount_points(server_);
  for (int i = 1; i <= options_.cameras; ++i) {
    GstRTSPMediaFactory* factory = gst_rtsp_media_factory_new();
    gst_rtsp_media_factory_set_launch(factory, launch.c_str());
    // One pipeline per camera, whatever the number of clients, as a real camera has one encoder.
    gst_rtsp_media_factory_set_shared(factory, TRUE);
    if (authenticated) {
      gst_rtsp_media_factory_add_role(factory, "camera-user", GST_RTSP_PERM_MEDIA_FACTORY_ACCESS, G_TYPE_BOOLEAN,
                                      TRUE, GST_RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, G_TYPE_BOOLEAN, TRUE, nullptr);
    }
    g_signal_connect_data(factory, "media-configure", G_CALLBACK(on_media_configure), new MediaLoops{&video_, audio_, &sent_},
                          [](gpointer p, GClosure*) { delete static_cast<MediaLoops*>(p); }, GConnectFlags(0));
    gst_rtsp_mount_points_add_factory(mounts, ("/cam/" + std::to_string(i)).c_str(), factory);
  }
  g_object_unref(mounts);

  if (gst_rtsp_server_attach(server_, nullptr) == 0)
    throw std::runtime_error("cannot listen on " + options_.address + ":" + std::to_string(options_.port));
  port_ = gst_rtsp_server_get_bound_port(server_);
  return port_;
}

namespace {

// One client of a camera that ends connections which send no request for a while (gst-rtsp-server
// itself never expires a session whose media flows over its RTSP connection; some cameras do).
struct KeepAliveWatch {
  GstRTSPClient* client;  // not owned: the watch ends with the client
  gint64 last_request_us;
  gint64 limit_us;
  guint timer = 0;
};

void note_request(GstRTSPClient*, GstRTSPContext*, gpointer data) {
  static_cast<KeepAliveWatch*>(data)->last_request_us = g_get_monotonic_time();
}

gboolean close_if_silent(gpointer data) {
  auto* watch = static_cast<KeepAliveWatch*>(data);
  if (g_get_monotonic_time() - watch->last_request_us <= watch->limit_us) return G_SOURCE_CONTINUE;
  g_printerr("camsim: closing a client that sent no keep-alive for %lld s\n",
             static_cast<long long>(watch->limit_us / G_USEC_PER_SEC));
  watch->timer = 0;  // this source ends here; "closed" must not remove it again
  gst_rtsp_client_close(watch->client);
  return G_SOURCE_REMOVE;
}

void forget_watch(GstRTSPClient*, gpointer data) {
  auto* watch = static_cast<KeepAliveWatch*>(data);
  if (watch->timer != 0) g_source_remove(watch->timer);
  delete watch;
}

void watch_client(GstRTSPServer*, GstRTSPClient* client, gpointer seconds) {
  auto* watch = new KeepAliveWatch{client, g_get_monotonic_time(), GPOINTER_TO_INT(seconds) * G_USEC_PER_SEC};
  for (const char* request : {"options-request", "get-parameter-request", "play-request"})
    g_signal_connect(client, request, G_CALLBACK(note_request), watch);
  watch->timer = g_timeout_add(200, close_if_silent, watch);
  g_signal_connect(client, "new-session", G_CALLBACK(+[](GstRTSPClient*, GstRTSPSession* session, gpointer s) {
                     gst_rtsp_session_set_timeout(session, static_cast<guint>(GPOINTER_TO_INT(s)));
                   }),
                   seconds);
  g_signal_connect(client, "closed", G_CALLBACK(forget_watch), watch);
}

}  // namespace

// Connections that let the time-out pass without a request are closed; sessions announce it
// (Session: id;timeout=S), as a camera does (client-connected -> watch_client).
void CameraServer::close_clients_not_kept_alive() {
  g_signal_connect(server_, "client-connected", G_CALLBACK(watch_client),
                   GINT_TO_POINTER(options_.session_timeout_seconds));
}

std::string CameraServer::url(int camera_index) const {
  const bool v6 = options_.address.find(':') != std::string::npos;
  const std::string host = v6 ? "[" + options_.address + "]" : options_.address;
  return "rtsp://" + host + ":" + std::to_string(port_) + "/cam/" + std::to_string(camera_index);
}

}  // namespace camsim
