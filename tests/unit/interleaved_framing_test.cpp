#include "pipelines/interleaved_framing.h"

#include <gtest/gtest.h>
#include <string>
#include <vector>

using recorder::pipelines::InterleavedFrames;

namespace {

struct Collected : InterleavedFrames::Receiver {
  std::vector<std::pair<int, std::string>> packets;
  std::vector<std::string> messages;
  void on_packet(std::uint8_t channel, const std::uint8_t* data, std::size_t size) override {
    packets.emplace_back(channel, std::string(reinterpret_cast<const char*>(data), size));
  }
  void on_message(std::string_view head) override { messages.emplace_back(head); }
};

std::string frame(std::uint8_t channel, const std::string& payload) {
  std::string bytes = {'$', char(channel), char(payload.size() >> 8), char(payload.size() & 0xff)};
  return bytes + payload;
}

// A stream as a camera sends it: media, the answer to a keep-alive (with a body), a request of its own.
std::string camera_stream() {
  return frame(0, std::string(1400, 'v')) + frame(1, "rtcp-sr") +
         "RTSP/1.0 200 OK\r\nCSeq: 7\r\ncontent-length: 5\r\n\r\nhello" + frame(2, std::string(300, 'a')) + "\r\n" +
         "GET_PARAMETER rtsp://cam/ RTSP/1.0\r\nCSeq: 1\r\n\r\n" + frame(0, std::string(65535, 'w'));  // the largest frame
}

// Feeds the stream in pieces of `piece` bytes, keeping the unconsumed rest, as the source does.
Collected split_in_pieces(const std::string& stream, std::size_t piece) {
  Collected collected;
  std::string held;
  for (std::size_t at = 0; at < stream.size(); at += piece) {
    held += stream.substr(at, piece);
    const std::size_t used =
        InterleavedFrames::split(reinterpret_cast<const std::uint8_t*>(held.data()), held.size(), collected);
    held.erase(0, used);
  }
  EXPECT_TRUE(held.empty()) << "bytes left over with piece " << piece;
  return collected;
}

TEST(InterleavedFrames, FindsTheSameFramesAndMessagesWhereverTheStreamIsCut) {
  const std::string stream = camera_stream();
  const Collected whole = split_in_pieces(stream, stream.size());
  ASSERT_EQ(whole.packets.size(), 4u);
  EXPECT_EQ(whole.packets[0], std::make_pair(0, std::string(1400, 'v')));
  EXPECT_EQ(whole.packets[1], std::make_pair(1, std::string("rtcp-sr")));
  EXPECT_EQ(whole.packets[2], std::make_pair(2, std::string(300, 'a')));
  EXPECT_EQ(whole.packets[3].second.size(), 65535u);
  ASSERT_EQ(whole.messages.size(), 2u);
  EXPECT_EQ(whole.messages[0], "RTSP/1.0 200 OK\r\nCSeq: 7\r\ncontent-length: 5");
  EXPECT_EQ(whole.messages[1].rfind("GET_PARAMETER", 0), 0u);
  for (std::size_t piece : {1u, 2u, 3u, 5u, 7u, 64u, 1399u, 1404u, 4096u}) {
    const Collected cut = split_in_pieces(stream, piece);
    EXPECT_EQ(cut.packets, whole.packets) << "piece " << piece;
    EXPECT_EQ(cut.messages, whole.messages) << "piece " << piece;
  }
}

TEST(InterleavedFrames, WaitsForTheRestOfAnIncompleteFrame) {
  Collected collected;
  const std::string stream = frame(0, "abcdef");
  for (std::size_t size = 0; size < stream.size(); ++size) {
    EXPECT_EQ(InterleavedFrames::split(reinterpret_cast<const std::uint8_t*>(stream.data()), size, collected), 0u);
  }
  EXPECT_TRUE(collected.packets.empty());
}

TEST(InterleavedFrames, RefusesBytesThatAreNeitherFrameNorMessage) {
  Collected collected;
  for (const std::string& bad : {std::string("\x00\x01\x02", 3), std::string("garbage"), std::string("\xff")}) {
    EXPECT_THROW(InterleavedFrames::split(reinterpret_cast<const std::uint8_t*>(bad.data()), bad.size(), collected),
                 InterleavedFrames::Malformed)
        << bad;
  }
  const std::string endless_head = "RTSP/1.0 200 OK\r\n" + std::string(20000, 'x');
  EXPECT_THROW(InterleavedFrames::split(reinterpret_cast<const std::uint8_t*>(endless_head.data()),
                                        endless_head.size(), collected),
               InterleavedFrames::Malformed);
  const std::string bad_length = "RTSP/1.0 200 OK\r\nContent-Length: lots\r\n\r\n";
  EXPECT_THROW(InterleavedFrames::split(reinterpret_cast<const std::uint8_t*>(bad_length.data()), bad_length.size(),
                                        collected),
               InterleavedFrames::Malformed);
}

}  // namespace
