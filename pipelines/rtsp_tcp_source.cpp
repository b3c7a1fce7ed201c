#include "pipelines/rtsp_tcp_source.h"

#include <gst/gst.h>

#include "pipelines/rtsp_tcp_streaming.h"

namespace recorder::pipelines {
namespace {

struct RtspTcpSource {
  GstElement parent;
  RtspTcpStreaming* streaming;  // owned; C++ state behind the GObject
};

struct RtspTcpSourceClass {
  GstElementClass parent_class;
};

enum { PROP_0, PROP_LOCATION, PROP_USER_ID, PROP_USER_PW, PROP_TIMEOUT };
enum { SIGNAL_SELECT_STREAM, LAST_SIGNAL };
guint signals[LAST_SIGNAL];

GType rtsp_tcp_source_get_type();
#define RTSP_TCP_SOURCE(obj) (reinterpret_cast<RtspTcpSource*>(obj))

G_DEFINE_TYPE(RtspTcpSource, rtsp_tcp_source, GST_TYPE_ELEMENT)

GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE("recv_rtp_src_%u_%u_%u", GST_PAD_SRC, GST_PAD_SOMETIMES,
                                                            GST_STATIC_CAPS("application/x-rtp"));

GstStateChangeReturn change_state(GstElement* element, GstStateChange transition) {
  RtspTcpStreaming& streaming = *RTSP_TCP_SOURCE(element)->streaming;
  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      streaming.start();
      break;
    case GST_STATE_CHANGE_PAUSED_TO_PLAYING:
      streaming.set_playing(true);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      streaming.begin_stop();  // before the pads go flushing, so that the thread does not report it as a failure
      break;
    default:
      break;
  }
  GstStateChangeReturn result = GST_ELEMENT_CLASS(rtsp_tcp_source_parent_class)->change_state(element, transition);
  if (result == GST_STATE_CHANGE_FAILURE) return result;
  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      return GST_STATE_CHANGE_NO_PREROLL;  // a live source: nothing to preroll
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      streaming.finish_stop();  // the pads are flushing now: a push that was blocked has returned
      break;
    default:
      break;
  }
  return result;
}

gboolean send_event(GstElement* element, GstEvent* event) {
  if (GST_EVENT_TYPE(event) == GST_EVENT_EOS) {
    // Pushed by the streaming thread after the data it holds, so that the muxer finalises the segment.
    RTSP_TCP_SOURCE(element)->streaming->request_end_of_stream();
    gst_event_unref(event);
    return TRUE;
  }
  return GST_ELEMENT_CLASS(rtsp_tcp_source_parent_class)->send_event(element, event);
}

void set_property(GObject* object, guint id, const GValue* value, GParamSpec* spec) {
  RtspTcpStreaming::Settings& settings = RTSP_TCP_SOURCE(object)->streaming->settings();
  const char* text = G_VALUE_HOLDS_STRING(value) && g_value_get_string(value) ? g_value_get_string(value) : "";
  switch (id) {
    case PROP_LOCATION: settings.location = text; break;
    case PROP_USER_ID: settings.user = text; break;
    case PROP_USER_PW: settings.password = text; break;
    case PROP_TIMEOUT: settings.timeout = std::chrono::microseconds(g_value_get_uint64(value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec);
  }
}

void get_property(GObject* object, guint id, GValue* value, GParamSpec* spec) {
  const RtspTcpStreaming::Settings& settings = RTSP_TCP_SOURCE(object)->streaming->settings();
  switch (id) {
    case PROP_LOCATION: g_value_set_string(value, settings.location.c_str()); break;
    case PROP_USER_ID: g_value_set_string(value, settings.user.c_str()); break;
    case PROP_USER_PW: g_value_set_string(value, settings.password.empty() ? "" : "********"); break;
    case PROP_TIMEOUT: g_value_set_uint64(value, guint64(settings.timeout.count())); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec);
  }
}

void finalize(GObject* object) {
  delete RTSP_TCP_SOURCE(object)->streaming;
  G_OBJECT_CLASS(rtsp_tcp_source_parent_class)->finalize(object);
}

GParamFlags read_write() { return static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS); }

void rtsp_tcp_source_class_init(RtspTcpSourceClass* klass) {
  auto* object_class = G_OBJECT_CLASS(klass);
  object_class->set_property = set_property;
  object_class->get_property = get_property;
  object_class->finalize = finalize;
  g_object_class_install_property(object_class, PROP_LOCATION,
                                  g_param_spec_string("location", "Location", "rtsp:// URL", "", read_write()));
  g_object_class_install_property(object_class, PROP_USER_ID,
                                  g_param_spec_string("user-id", "User", "User name for the camera", "", read_write()));
  g_object_class_install_property(object_class, PROP_USER_PW,
                                  g_param_spec_string("user-pw", "Password", "Password (read back masked)", "", read_write()));
  g_object_class_install_property(
      object_class, PROP_TIMEOUT,
      g_param_spec_uint64("timeout", "Timeout", "Microseconds an answer may take; twice as long without data ends the connection",
                          100'000, G_MAXUINT64, 5'000'000, read_write()));
  // Asked for each stream of the camera's description, before it is set up: TRUE to record it.
  signals[SIGNAL_SELECT_STREAM] = g_signal_new("select-stream", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
                                               nullptr, nullptr, nullptr, G_TYPE_BOOLEAN, 2, G_TYPE_UINT, GST_TYPE_CAPS);

  auto* element_class = GST_ELEMENT_CLASS(klass);
  gst_element_class_set_static_metadata(element_class, "RTSP source over TCP", "Source/Network",
                                        "Receives a camera's RTP streams interleaved in its RTSP connection",
                                        "onboard recorder");
  gst_element_class_add_static_pad_template(element_class, &src_template);
  element_class->change_state = change_state;
  element_class->send_event = send_event;
}

bool select_stream(GstElement* element, guint number, GstCaps* caps) {
  gboolean selected = TRUE;  // with no handler connected, every stream is taken
  g_signal_emit(element, signals[SIGNAL_SELECT_STREAM], 0, number, caps, &selected);
  return selected;
}

void rtsp_tcp_source_init(RtspTcpSource* self) {
  GST_OBJECT_FLAG_SET(self, GST_ELEMENT_FLAG_SOURCE);
  self->streaming = new RtspTcpStreaming(GST_ELEMENT(self), gst_static_pad_template_get(&src_template), select_stream);
}

}  // namespace

void register_rtsp_tcp_source() {
  gst_element_register(nullptr, "rtsptcpsrc", GST_RANK_NONE, rtsp_tcp_source_get_type());
}

}  // namespace recorder::pipelines
