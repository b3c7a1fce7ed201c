// The API's request handling that needs no server: targets, query and body fields, byte ranges, and the
// shelf of prepared exports.

#include <atomic>
#include <fstream>
#include <gtest/gtest.h>
#include <thread>

#include "recorder/api/export_shelf.h"
#include "recorder/api/file_download.h"
#include "recorder/api/request_fields.h"
#include "recorder/api/request_target.h"
#include "tests/support/temp_dir.h"

using namespace recorder;
using Kind = api::RangeRequest::Kind;

TEST(RequestTarget, SegmentsAndQueryAreDecodedAndBadTargetsRefused) {
  const auto target = api::parse_target("/api/v1/cameras/a%2Fb/recordings?from=2026-11-30T14%3A03%3A00Z&to=x&to=y");
  ASSERT_TRUE(target);
  EXPECT_EQ(target->segments, (std::vector<std::string>{"api", "v1", "cameras", "a/b", "recordings"}))
      << "an encoded slash stays inside its segment";
  EXPECT_EQ(target->query.at("from"), "2026-11-30T14:03:00Z");
  EXPECT_EQ(target->query.at("to"), "y");
  EXPECT_EQ(api::parse_target("/metrics/")->segments, std::vector<std::string>{"metrics"});
  EXPECT_FALSE(api::parse_target("/a?b=%zz"));
  EXPECT_FALSE(api::parse_target("http://elsewhere/x"));
  EXPECT_FALSE(api::parse_target("*"));
}

TEST(RequestFields, TimeRangesDefaultAndAreChecked) {
  const auto now = *parse_rfc3339("2026-11-30T12:00:00Z");
  const auto at = [](const char* text) { return catalog::to_micros(*parse_rfc3339(text)); };
  auto range = api::query_range(*api::parse_target("/x"), now, std::chrono::hours(24), std::chrono::hours(48));
  EXPECT_EQ(range.from_us, at("2026-11-29T12:00:00Z"));
  EXPECT_EQ(range.to_us, at("2026-11-30T12:00:00Z"));
  range = api::query_range(*api::parse_target("/x?from=2026-11-30T10:00:00.250Z"), now, std::chrono::hours(1), std::chrono::hours(48));
  EXPECT_EQ(range.to_us - range.from_us, 3'600'000'000LL);
  const auto refused = [&](const std::string& target, std::optional<std::chrono::seconds> span, const std::string& says) {
    try {
      api::query_range(*api::parse_target(target), now, span, std::chrono::hours(4));
      ADD_FAILURE() << "accepted " << target;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
    }
  };
  refused("/x?from=noon", std::chrono::hours(1), "'from' must be an RFC 3339 time");
  refused("/x?from=2026-11-30T11:00:00Z", std::nullopt, "'from' and 'to' are required");
  refused("/x?from=2026-11-30T11:00:00Z&to=2026-11-30T11:00:00Z", std::nullopt, "'from' must be before 'to'");
  refused("/x?from=2026-11-30T01:00:00Z&to=2026-11-30T11:00:00Z", std::nullopt, "longer than the limit of 4 h");
}

TEST(RequestFields, BodyFieldsNameWhatIsWrong) {
  api::Request request{boost::beast::http::verb::post, "/x", 11};
  request.body() = R"({"cameras":["a","b"],"reason":"door","from":"2026-11-30T14:03:00Z","to":"2026-11-30T14:08:00Z"})";
  const auto body = api::json_body(request);
  EXPECT_EQ(api::string_list_field(body, "cameras", 4), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(api::string_field(body, "reason", 10), "door");
  EXPECT_EQ(api::body_range(body, std::chrono::hours(1)).to_us - api::body_range(body, std::chrono::hours(1)).from_us,
            300'000'000);
  EXPECT_THROW(api::string_list_field(body, "cameras", 1), Error);
  EXPECT_THROW(api::string_field(body, "reason", 3), Error);
  EXPECT_THROW(api::string_field(body, "missing", 3), Error);
  request.body() = "{\"a\":";
  EXPECT_THROW(api::json_body(request), Error);
}

TEST(FileDownload, RangeHeadersFollowRfc9110) {
  EXPECT_EQ(api::requested_range("", 100).kind, Kind::Whole);
  auto r = api::requested_range("bytes=10-19", 100);
  EXPECT_EQ(r.kind, Kind::Part);
  EXPECT_EQ(r.first, 10u);
  EXPECT_EQ(r.last, 19u);
  r = api::requested_range("bytes=90-", 100);
  EXPECT_EQ(r.first, 90u);
  EXPECT_EQ(r.last, 99u);
  r = api::requested_range("bytes=-30", 100);
  EXPECT_EQ(r.first, 70u);
  EXPECT_EQ(r.last, 99u);
  r = api::requested_range("bytes=50-500", 100);
  EXPECT_EQ(r.last, 99u) << "a range past the end is cut to the end";
  EXPECT_EQ(api::requested_range("bytes=100-", 100).kind, Kind::Unsatisfiable);
  EXPECT_EQ(api::requested_range("bytes=20-10", 100).kind, Kind::Unsatisfiable);
  EXPECT_EQ(api::requested_range("bytes=-0", 100).kind, Kind::Unsatisfiable);
  for (const char* ignored : {"bytes=1-2,5-6", "items=1-2", "bytes=x-", "bytes=-", "bytes=1-x"})
    EXPECT_EQ(api::requested_range(ignored, 100).kind, Kind::Whole) << ignored;
}

TEST(ExportShelf, MakesOnceKeepsAndForgetsFailures) {
  const auto dir = test_support::fresh_temp_dir("shelf");
  api::ExportShelf shelf(dir / "shelf", std::chrono::seconds(60));
  std::atomic<int> made{0};
  const auto make = [&](const std::filesystem::path& folder) {
    ++made;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::ofstream(folder / "clip.mp4") << "clip";
    return api::PreparedExport{folder / "clip.mp4", folder / "manifest.json", {}};
  };
  std::vector<std::thread> requests;
  std::vector<std::filesystem::path> files(4);
  for (int i = 0; i < 4; ++i) requests.emplace_back([&, i] { files[static_cast<std::size_t>(i)] = shelf.get("k", make)->file; });
  for (auto& r : requests) r.join();
  EXPECT_EQ(made, 1) << "simultaneous requests for one export make it once";
  for (const auto& f : files) EXPECT_EQ(f, files[0]);
  EXPECT_THROW(shelf.get("bad", [](const std::filesystem::path&) -> api::PreparedExport { throw Error(ErrorKind::NotFound, "none"); }),
               Error);
  EXPECT_EQ(shelf.get("bad", make)->file.filename(), "clip.mp4") << "a failure is not kept";
  EXPECT_EQ(made, 2);
  api::ExportShelf restarted(dir / "shelf", std::chrono::seconds(60));
  EXPECT_FALSE(std::filesystem::exists(files[0])) << "a restart empties the shelf";
}
