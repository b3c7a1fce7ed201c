// camsim: a fleet of simulated RTSP cameras for tests, the demo and benchmarks.
//   camsim --cameras N --port P [--codec h264|h265] [--resolution WxH] [--fps F] [--bitrate KBPS]
//          [--gop-seconds S] [--audio] [--user U --password P] [--session-timeout S] [--address A]
//          [--phone-home LIST [--cloud-address A] [--recorder-address A] [--maintenance-port P]
//           [--phone-home-interval S] [--interface IF]]
// Each distinct stream is encoded once at start-up; serving costs no encoding. On SIGUSR1 it prints
// "sent video frames F bytes B": what all cameras have handed to their payloaders so far (for bench/). --phone-home makes the cameras
// also send what real vendors' cameras send (phone_home.h), for the firewall tests.

#include <cstdio>
#include <cstdlib>
#include <glib-unix.h>
#include <gst/gst.h>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>

#include "camera_server.h"
#include "encoded_loop.h"
#include "phone_home.h"

namespace {

[[noreturn]] void usage(const std::string& problem) {
  if (!problem.empty()) std::cerr << "camsim: " << problem << "\n";
  std::cerr << "usage: camsim [--cameras N] [--port P (0: any)] [--address A] [--codec h264|h265]\n"
               "              [--resolution WxH] [--fps F] [--bitrate KBIT/S] [--gop-seconds S]\n"
               "              [--loop-seconds S] [--audio] [--user U --password P] [--session-timeout S]\n"
               "              [--phone-home LIST|all [--cloud-address A] [--recorder-address A]\n"
               "               [--maintenance-port P] [--phone-home-interval S] [--interface IF]]\n"
               "phone-home behaviours:";
  for (const std::string& name : camsim::phone_home_behaviours()) std::cerr << " " << name;
  std::cerr << "\n";
  std::exit(problem.empty() ? 0 : 2);
}

double number(const std::string& option, const char* text, double min, double max) {
  char* end = nullptr;
  const double value = std::strtod(text, &end);
  if (end == text || *end != '\0' || value < min || value > max)
    usage(option + " must be a number from " + std::to_string(min) + " to " + std::to_string(max));
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  gst_init(&argc, &argv);
  camsim::VideoSpec video;
  camsim::ServerOptions server;
  bool audio = false;
  const char* phone_home_list = nullptr;
  camsim::PhoneHomeOptions phone_home_options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--cameras") server.cameras = static_cast<int>(number(arg, value(), 1, 1000));
    else if (arg == "--port") server.port = static_cast<int>(number(arg, value(), 0, 65535));
    else if (arg == "--address") server.address = value();
    else if (arg == "--codec") {
      video.codec = value();
      if (video.codec != "h264" && video.codec != "h265") usage("--codec must be h264 or h265");
    } else if (arg == "--resolution") {
      if (std::sscanf(value(), "%dx%d", &video.width, &video.height) != 2 || video.width < 16 || video.height < 16)
        usage("--resolution must look like 1920x1080");
    } else if (arg == "--fps") video.fps = static_cast<int>(number(arg, value(), 1, 120));
    else if (arg == "--bitrate") video.bitrate_kbps = static_cast<int>(number(arg, value(), 16, 100000));
    else if (arg == "--gop-seconds") video.gop_seconds = number(arg, value(), 0.04, 60);
    else if (arg == "--loop-seconds") video.loop_seconds = number(arg, value(), 1, 600);
    else if (arg == "--audio") audio = true;
    else if (arg == "--user") server.user = value();
    else if (arg == "--password") server.password = value();
    else if (arg == "--session-timeout") server.session_timeout_seconds = static_cast<int>(number(arg, value(), 1, 3600));
    else if (arg == "--phone-home") phone_home_list = value();
    else if (arg == "--cloud-address") phone_home_options.cloud_address = value();
    else if (arg == "--recorder-address") phone_home_options.recorder_address = value();
    else if (arg == "--maintenance-port")
      phone_home_options.maintenance_port = static_cast<int>(number(arg, value(), 1, 65535));
    else if (arg == "--phone-home-interval") phone_home_options.interval_seconds = number(arg, value(), 0.05, 3600);
    else if (arg == "--interface") phone_home_options.interface = value();
    else if (arg == "--help" || arg == "-h") usage("");
    else usage("unknown option '" + arg + "'");
  }
  if (server.user.empty() != server.password.empty()) usage("--user and --password go together");
  // Checked before the slow encoding, so that a wrong command line fails at once.
  std::unique_ptr<camsim::PhoneHome> phone_home;
  if (phone_home_list != nullptr) {
    try {
      phone_home_options.behaviours = camsim::parse_phone_home_list(phone_home_list);
      phone_home_options.camera_address = server.address;
      phone_home = std::make_unique<camsim::PhoneHome>(phone_home_options);
    } catch (const std::invalid_argument& e) {
      usage(e.what());
    }
  }

  camsim::EncodedLoop video_loop;
  camsim::EncodedLoop audio_loop;
  try {
    camsim::encode_video_loop(video, video_loop);
    if (audio) {
      camsim::AudioSpec audio_spec;
      audio_spec.loop_seconds = video.loop_seconds;
      camsim::encode_audio_loop(audio_spec, audio_loop);
    }
  } catch (const std::exception& e) {
    std::cerr << "camsim: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "camsim: encoded " << video_loop.units.size() << " frames (" << video_loop.total_bytes() / 1024
            << " KiB, " << video.codec << " " << video.width << "x" << video.height << "@" << video.fps << ")"
            << (audio ? " with AAC audio" : "") << "\n";

  camsim::CameraServer cameras(server, video_loop, audio ? &audio_loop : nullptr);
  try {
    cameras.start();
  } catch (const std::exception& e) {
    std::cerr << "camsim: " << e.what() << "\n";
    return 1;
  }
  for (int i = 1; i <= server.cameras; ++i) std::cout << cameras.url(i) << "\n";
  if (phone_home) phone_home->start();  // before "ready": a test that saw "ready" can expect the traffic
  std::cout << "ready" << std::endl;

  GMainLoop* loop = g_main_loop_new(nullptr, FALSE);
  auto quit = [](gpointer l) -> gboolean {
    g_main_loop_quit(static_cast<GMainLoop*>(l));
    return G_SOURCE_REMOVE;
  };
  g_unix_signal_add(SIGINT, quit, loop);
  g_unix_signal_add(SIGTERM, quit, loop);
  g_unix_signal_add(
      SIGUSR1,
      [](gpointer server) -> gboolean {
        const camsim::SentCounters& sent = static_cast<camsim::CameraServer*>(server)->sent();
        std::cout << "sent video frames " << sent.video_frames.load() << " bytes " << sent.video_bytes.load()
                  << std::endl;
        return G_SOURCE_CONTINUE;
      },
      &cameras);
  g_main_loop_run(loop);
  g_main_loop_unref(loop);
  return 0;
}
