#include "pipelines/rtp_timestamper.h"

#include <cstdint>

namespace recorder::pipelines {
namespace {

struct RtpTimestamper {
  GstElement parent;
  GstPad* sink;
  GstPad* src;
  guint latency_ms;      // set by rtpbin; unused: nothing is held back
  gint clock_rate;       // from the caps, or asked for with request-pt-map; 0: not known yet
  GstSegment segment;    // of the incoming stream
  std::int64_t base_rtp;       // unfolded RTP time of the packet that set base_position; -1: none yet
  std::int64_t last_rtp;       // unfolded RTP time of the previous packet
  GstClockTime base_position;  // stream time at which the packet base_rtp arrived
};

struct RtpTimestamperClass {
  GstElementClass parent_class;
};

enum { PROP_0, PROP_LATENCY };
enum { SIGNAL_REQUEST_PT_MAP, SIGNAL_HANDLE_SYNC, SIGNAL_ON_NPT_STOP, LAST_SIGNAL };
guint signals[LAST_SIGNAL];

GType rtp_timestamper_get_type();
#define RTP_TIMESTAMPER(obj) (reinterpret_cast<RtpTimestamper*>(obj))

G_DEFINE_TYPE(RtpTimestamper, rtp_timestamper, GST_TYPE_ELEMENT)

GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS("application/x-rtp"));
GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS("application/x-rtp"));
GstStaticPadTemplate rtcp_template =
    GST_STATIC_PAD_TEMPLATE("sink_rtcp", GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS("application/x-rtcp"));

void reset(RtpTimestamper* self) {
  self->clock_rate = 0;
  self->base_rtp = -1;
  self->last_rtp = -1;
  self->base_position = GST_CLOCK_TIME_NONE;
  gst_segment_init(&self->segment, GST_FORMAT_TIME);
}

// Where the stream is now: the pipeline clock's running time, in the incoming segment's terms.
GstClockTime current_position(RtpTimestamper* self) {
  GstClock* clock = gst_element_get_clock(GST_ELEMENT(self));
  if (clock == nullptr) return self->segment.start;
  const GstClockTime now = gst_clock_get_time(clock);
  gst_object_unref(clock);
  const GstClockTime base = gst_element_get_base_time(GST_ELEMENT(self));
  const GstClockTime running = now > base ? now - base : 0;
  const GstClockTime position = gst_segment_position_from_running_time(&self->segment, GST_FORMAT_TIME, running);
  return GST_CLOCK_TIME_IS_VALID(position) ? position : self->segment.start;
}

// rtpbin knows every payload type's clock rate from the SDP even when the caps leave it out.
gint ask_clock_rate(RtpTimestamper* self, guint8 payload_type) {
  GstCaps* caps = nullptr;
  g_signal_emit(self, signals[SIGNAL_REQUEST_PT_MAP], 0, guint(payload_type), &caps);
  gint rate = 0;
  if (caps != nullptr) {
    gst_structure_get_int(gst_caps_get_structure(caps, 0), "clock-rate", &rate);
    gst_caps_unref(caps);
  }
  return rate;
}

GstFlowReturn chain(GstPad*, GstObject* parent, GstBuffer* buffer) {
  auto* self = RTP_TIMESTAMPER(parent);
  guint8 header[8];
  if (gst_buffer_extract(buffer, 0, header, sizeof header) != sizeof header || (header[0] >> 6) != 2) {
    gst_buffer_unref(buffer);  // not RTP: rtpsession lets nothing like this through, so drop, as the jitter buffer does
    return GST_FLOW_OK;
  }
  if (self->clock_rate <= 0) self->clock_rate = ask_clock_rate(self, header[1] & 0x7f);
  if (self->clock_rate <= 0) {
    gst_buffer_unref(buffer);
    GST_ELEMENT_ERROR(self, STREAM, DECODE, ("The camera's stream has no RTP clock rate."), (nullptr));
    return GST_FLOW_ERROR;
  }
  const std::uint32_t rtp_time = (std::uint32_t(header[4]) << 24) | (std::uint32_t(header[5]) << 16) |
                                 (std::uint32_t(header[6]) << 8) | std::uint32_t(header[7]);
  const std::int64_t unfolded = unfold_rtp_time(self->last_rtp, rtp_time);
  self->last_rtp = unfolded;
  if (self->base_rtp < 0 || unfolded < self->base_rtp) {
    self->base_rtp = unfolded;
    self->base_position = current_position(self);
  }
  buffer = gst_buffer_make_writable(buffer);  // usually the only reference: no copy
  GST_BUFFER_PTS(buffer) = self->base_position +
      gst_util_uint64_scale_int(static_cast<guint64>(unfolded - self->base_rtp), GST_SECOND, self->clock_rate);
  GST_BUFFER_DTS(buffer) = GST_CLOCK_TIME_NONE;
  return gst_pad_push(self->src, buffer);
}

gboolean sink_event(GstPad* pad, GstObject* parent, GstEvent* event) {
  auto* self = RTP_TIMESTAMPER(parent);
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_CAPS: {
      GstCaps* caps = nullptr;
      gst_event_parse_caps(event, &caps);
      gint rate = 0;
      if (gst_structure_get_int(gst_caps_get_structure(caps, 0), "clock-rate", &rate) && rate > 0)
        self->clock_rate = rate;
      break;
    }
    case GST_EVENT_SEGMENT:
      gst_event_copy_segment(event, &self->segment);
      break;
    case GST_EVENT_FLUSH_STOP:
      self->base_rtp = -1;
      self->last_rtp = -1;
      break;
    default:
      break;
  }
  return gst_pad_event_default(pad, parent, event);
}

GstFlowReturn drop_rtcp(GstPad*, GstObject*, GstBuffer* buffer) {
  gst_buffer_unref(buffer);
  return GST_FLOW_OK;
}

GstPad* request_new_pad(GstElement* element, GstPadTemplate* templ, const gchar*, const GstCaps*) {
  GstPad* pad = gst_pad_new_from_template(templ, "sink_rtcp");
  gst_pad_set_chain_function(pad, drop_rtcp);
  gst_pad_set_active(pad, TRUE);
  gst_element_add_pad(element, pad);
  return pad;
}

void release_pad(GstElement* element, GstPad* pad) {
  gst_element_remove_pad(element, pad);
}

GstStateChangeReturn change_state(GstElement* element, GstStateChange transition) {
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) reset(RTP_TIMESTAMPER(element));
  return GST_ELEMENT_CLASS(rtp_timestamper_parent_class)->change_state(element, transition);
}

void set_property(GObject* object, guint id, const GValue* value, GParamSpec* spec) {
  if (id == PROP_LATENCY) RTP_TIMESTAMPER(object)->latency_ms = g_value_get_uint(value);
  else G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec);
}

void get_property(GObject* object, guint id, GValue* value, GParamSpec* spec) {
  if (id == PROP_LATENCY) g_value_set_uint(value, RTP_TIMESTAMPER(object)->latency_ms);
  else G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec);
}

void rtp_timestamper_class_init(RtpTimestamperClass* klass) {
  auto* object_class = G_OBJECT_CLASS(klass);
  object_class->set_property = set_property;
  object_class->get_property = get_property;
  g_object_class_install_property(
      object_class, PROP_LATENCY,
      g_param_spec_uint("latency", "Latency", "Accepted from rtpbin and ignored: nothing is held back", 0, G_MAXUINT,
                        0, static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)));
  const GType type = G_TYPE_FROM_CLASS(klass);
  signals[SIGNAL_REQUEST_PT_MAP] = g_signal_new("request-pt-map", type, G_SIGNAL_RUN_LAST, 0, nullptr, nullptr,
                                                nullptr, GST_TYPE_CAPS, 1, G_TYPE_UINT);
  // Never emitted: declared so that rtpbin can connect to them as it does on a jitter buffer.
  signals[SIGNAL_HANDLE_SYNC] = g_signal_new("handle-sync", type, G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr,
                                             G_TYPE_NONE, 1, GST_TYPE_STRUCTURE | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[SIGNAL_ON_NPT_STOP] =
      g_signal_new("on-npt-stop", type, G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr, G_TYPE_NONE, 0);

  auto* element_class = GST_ELEMENT_CLASS(klass);
  gst_element_class_set_static_metadata(element_class, "RTP time stamper", "Filter/Network/RTP",
                                        "Stamps in-order RTP packets with times from their RTP clock, in place",
                                        "onboard recorder");
  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_add_static_pad_template(element_class, &rtcp_template);
  element_class->change_state = change_state;
  element_class->request_new_pad = request_new_pad;
  element_class->release_pad = release_pad;
}

void rtp_timestamper_init(RtpTimestamper* self) {
  self->latency_ms = 0;
  reset(self);
  self->sink = gst_pad_new_from_static_template(&sink_template, "sink");
  gst_pad_set_chain_function(self->sink, chain);
  gst_pad_set_event_function(self->sink, sink_event);
  GST_PAD_SET_PROXY_CAPS(self->sink);
  GST_PAD_SET_PROXY_ALLOCATION(self->sink);
  gst_element_add_pad(GST_ELEMENT(self), self->sink);
  self->src = gst_pad_new_from_static_template(&src_template, "src");
  GST_PAD_SET_PROXY_CAPS(self->src);
  gst_element_add_pad(GST_ELEMENT(self), self->src);
}

}  // namespace

std::int64_t unfold_rtp_time(std::int64_t last, std::uint32_t rtp_time) {
  if (last < 0) return (std::int64_t{1} << 32) + rtp_time;
  // The step from the previous time stamp, taken as the shorter way round the 32-bit circle.
  const auto step = static_cast<std::int32_t>(rtp_time - static_cast<std::uint32_t>(last));
  return last + step;
}

void register_rtp_timestamper() {
  gst_element_register(nullptr, "rtptimestamper", GST_RANK_NONE, rtp_timestamper_get_type());
}

}  // namespace recorder::pipelines
