#include "pipelines/rtsp_client_session.h"

#include <fmt/format.h>

namespace recorder::pipelines {
namespace {

using Kind = RtspClientSession::FailureKind;

std::string result_text(GstRTSPResult result) {
  gchar* text = gst_rtsp_strresult(result);
  std::string copy = text != nullptr ? text : "unknown error";
  g_free(text);
  return copy;
}

const char* header(GstRTSPMessage* message, GstRTSPHeaderField field) {
  gchar* value = nullptr;
  return gst_rtsp_message_get_header(message, field, &value, 0) == GST_RTSP_OK ? value : nullptr;
}

bool is_absolute(const std::string& url) { return url.rfind("rtsp://", 0) == 0 || url.rfind("rtsps://", 0) == 0; }

// A URL as it may appear in a log: a camera may echo credentials back in its Content-Base.
std::string without_credentials(const std::string& url) {
  GstRTSPUrl* parsed = nullptr;
  if (gst_rtsp_url_parse(url.c_str(), &parsed) != GST_RTSP_OK || parsed == nullptr) return "(unreadable URL)";
  gchar* clean = gst_rtsp_url_get_request_uri(parsed);
  std::string copy = clean;
  g_free(clean);
  gst_rtsp_url_free(parsed);
  return copy;
}

}  // namespace

RtspClientSession::RtspClientSession(const std::string& url, std::string user, std::string password,
                                     std::chrono::microseconds timeout)
    : user_(std::move(user)), password_(std::move(password)), timeout_us_(timeout.count()) {
  if (gst_rtsp_url_parse(url.c_str(), &url_) != GST_RTSP_OK || url_ == nullptr)
    throw Failure(Kind::Protocol, "the camera URL is not an rtsp:// URL");
  if (user_.empty() && url_->user != nullptr) user_ = url_->user;
  if (password_.empty() && url_->passwd != nullptr) password_ = url_->passwd;
  gchar* uri = gst_rtsp_url_get_request_uri(url_);
  request_uri_ = uri;
  g_free(uri);
  base_url_ = request_uri_;
  check(gst_rtsp_connection_create(url_, &connection_), "create a connection");
}

RtspClientSession::~RtspClientSession() {
  if (connection_ != nullptr) gst_rtsp_connection_free(connection_);
  if (url_ != nullptr) gst_rtsp_url_free(url_);
}

void RtspClientSession::check(GstRTSPResult result, const std::string& doing) const {
  if (result == GST_RTSP_OK) return;
  if (result == GST_RTSP_EINTR) throw Failure(Kind::Cancelled, "cancelled while trying to " + doing);
  const Kind kind = result == GST_RTSP_EPARSE ? Kind::Protocol : Kind::Unreachable;
  throw Failure(kind, fmt::format("could not {} ({}:{}): {}", doing, url_->host, url_->port, result_text(result)));
}

void RtspClientSession::connect() {
  check(gst_rtsp_connection_connect_usec(connection_, timeout_us_), "connect");
  // OPTIONS first, as cameras expect, and to learn which request keeps the session alive.
  Message options = request(GST_RTSP_OPTIONS, request_uri_);
  if (const char* methods = header(options.get(), GST_RTSP_HDR_PUBLIC);
      methods != nullptr && (gst_rtsp_options_from_text(methods) & GST_RTSP_GET_PARAMETER) != 0) {
    keep_alive_method_ = GST_RTSP_GET_PARAMETER;
  }
}

RtspClientSession::Sdp RtspClientSession::describe() {
  Message response = request(GST_RTSP_DESCRIBE, request_uri_, "application/sdp", GST_RTSP_HDR_ACCEPT);
  if (const char* base = header(response.get(), GST_RTSP_HDR_CONTENT_BASE)) base_url_ = base;
  else if (const char* location = header(response.get(), GST_RTSP_HDR_CONTENT_LOCATION)) base_url_ = location;
  guint8* body = nullptr;
  guint size = 0;
  gst_rtsp_message_get_body(response.get(), &body, &size);
  GstSDPMessage* sdp = nullptr;
  gst_sdp_message_new(&sdp);
  Sdp owned(sdp);
  if (body == nullptr || size == 0 || gst_sdp_message_parse_buffer(body, size, sdp) != GST_SDP_OK ||
      gst_sdp_message_medias_len(sdp) == 0)
    throw Failure(Kind::Protocol, "the camera's stream description (SDP) is empty or unreadable");
  return owned;
}

std::string RtspClientSession::control_url(const char* control) const {
  if (control == nullptr || *control == '\0' || std::string(control) == "*") return base_url_;
  if (is_absolute(control)) return control;
  // Cameras give the base with or without its final slash; the control is always relative to the base's folder.
  return base_url_ + (base_url_.back() == '/' ? "" : "/") + control;
}

std::pair<int, int> RtspClientSession::setup(const std::string& control, int rtp_channel) {
  const std::string transport = fmt::format("RTP/AVP/TCP;unicast;interleaved={}-{}", rtp_channel, rtp_channel + 1);
  Message response = request(GST_RTSP_SETUP, control, transport.c_str(), GST_RTSP_HDR_TRANSPORT);
  const char* chosen = header(response.get(), GST_RTSP_HDR_TRANSPORT);
  GstRTSPTransport* parsed = nullptr;
  gst_rtsp_transport_new(&parsed);
  const bool usable = chosen != nullptr && gst_rtsp_transport_parse(chosen, parsed) == GST_RTSP_OK &&
                      parsed->lower_transport == GST_RTSP_LOWER_TRANS_TCP && parsed->interleaved.min >= 0 &&
                      parsed->interleaved.min <= 255 && parsed->interleaved.max <= 255;
  const std::pair<int, int> channels{parsed->interleaved.min, parsed->interleaved.max};
  gst_rtsp_transport_free(parsed);
  if (!usable) throw Failure(Kind::Protocol, "the camera did not agree to send RTP over the RTSP connection (TCP)");
  return channels;
}

void RtspClientSession::play(const std::string& aggregate_control) {
  request(GST_RTSP_PLAY, aggregate_control, "npt=0-", GST_RTSP_HDR_RANGE);
  gst_rtsp_connection_reset_timeout(connection_);
}

void RtspClientSession::keep_alive_if_due() {
  if (gst_rtsp_connection_next_timeout_usec(connection_) > 0) return;
  GstRTSPMessage* message = nullptr;
  gst_rtsp_message_new_request(&message, keep_alive_method_, request_uri_.c_str());
  Message owned(message);
  check(gst_rtsp_connection_send_usec(connection_, message, timeout_us_), "send a keep-alive");
  gst_rtsp_connection_reset_timeout(connection_);
}

void RtspClientSession::send_interleaved(std::uint8_t channel, const std::uint8_t* data, std::size_t size) {
  GstRTSPMessage* message = nullptr;
  gst_rtsp_message_new_data(&message, channel);
  Message owned(message);
  gst_rtsp_message_set_body(message, data, static_cast<guint>(size));
  check(gst_rtsp_connection_send_usec(connection_, message, timeout_us_), "send RTCP");
}

void RtspClientSession::teardown() noexcept {
  GstRTSPMessage* message = nullptr;
  if (gst_rtsp_message_new_request(&message, GST_RTSP_TEARDOWN, request_uri_.c_str()) != GST_RTSP_OK) return;
  gst_rtsp_connection_send_usec(connection_, message, timeout_us_);  // the answer is not waited for
  gst_rtsp_message_free(message);
}

void RtspClientSession::cancel() { gst_rtsp_connection_flush(connection_, TRUE); }

int RtspClientSession::socket_fd() const { return g_socket_get_fd(gst_rtsp_connection_get_read_socket(connection_)); }

// Sends a request and returns the camera's 200 answer; a 401 is answered once with the credentials
// in the scheme the camera asked for.
RtspClientSession::Message RtspClientSession::request(GstRTSPMethod method, const std::string& uri,
                                                      const char* header_value, GstRTSPHeaderField field) {
  const char* name = gst_rtsp_method_as_text(method);
  for (int attempt = 0;; ++attempt) {
    GstRTSPMessage* message = nullptr;
    gst_rtsp_message_new_request(&message, method, uri.c_str());
    Message outgoing(message);
    if (header_value != nullptr) gst_rtsp_message_add_header(message, field, header_value);
    check(gst_rtsp_connection_send_usec(connection_, message, timeout_us_), fmt::format("send {}", name));
    Message response = receive_response(method);
    const GstRTSPStatusCode code = response->type_data.response.code;
    if (code == GST_RTSP_STS_OK) return response;
    if (code == GST_RTSP_STS_UNAUTHORIZED) {
      if (attempt == 0 && use_challenge(response.get())) continue;
      throw Failure(Kind::Unauthorized, user_.empty() ? "the camera asks for credentials and none are configured"
                                                      : "the camera refused the configured credentials (401)");
    }
    const std::string text = fmt::format("{} {} answered {} {}", name, without_credentials(uri), int(code),
                                         response->type_data.response.reason ? response->type_data.response.reason : "");
    throw Failure(code == GST_RTSP_STS_NOT_FOUND ? Kind::NotFound : Kind::Protocol, text);
  }
}

RtspClientSession::Message RtspClientSession::receive_response(GstRTSPMethod method) {
  for (;;) {
    GstRTSPMessage* message = nullptr;
    gst_rtsp_message_new(&message);
    Message incoming(message);
    check(gst_rtsp_connection_receive_usec(connection_, message, timeout_us_),
          fmt::format("receive the answer to {}", gst_rtsp_method_as_text(method)));
    if (message->type == GST_RTSP_MESSAGE_RESPONSE) return incoming;
    // Media or a request from the camera before the answer: nothing to do with it yet.
  }
}

// Takes the camera's WWW-Authenticate challenge: Digest when offered (the password never crosses the
// network), else Basic. False when there is nothing to answer with.
bool RtspClientSession::use_challenge(GstRTSPMessage* response) {
  if (user_.empty()) return false;
  GstRTSPAuthCredential** challenges = gst_rtsp_message_parse_auth_credentials(response, GST_RTSP_HDR_WWW_AUTHENTICATE);
  if (challenges == nullptr) return false;
  GstRTSPAuthCredential* digest = nullptr;
  bool basic = false;
  for (GstRTSPAuthCredential** c = challenges; *c != nullptr; ++c) {
    if ((*c)->scheme == GST_RTSP_AUTH_DIGEST && digest == nullptr) digest = *c;
    if ((*c)->scheme == GST_RTSP_AUTH_BASIC) basic = true;
  }
  bool usable = true;
  gst_rtsp_connection_clear_auth_params(connection_);
  if (digest != nullptr) {
    gst_rtsp_connection_set_auth(connection_, GST_RTSP_AUTH_DIGEST, user_.c_str(), password_.c_str());
    for (GstRTSPAuthParam** p = digest->params; p != nullptr && *p != nullptr; ++p)
      gst_rtsp_connection_set_auth_param(connection_, (*p)->name, (*p)->value);
  } else if (basic) {
    gst_rtsp_connection_set_auth(connection_, GST_RTSP_AUTH_BASIC, user_.c_str(), password_.c_str());
  } else {
    usable = false;
  }
  gst_rtsp_auth_credentials_free(challenges);
  return usable;
}

}  // namespace recorder::pipelines
