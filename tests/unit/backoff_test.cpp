#include "recorder/camera/backoff.h"

#include <gtest/gtest.h>

using recorder::camera::Backoff;
using namespace std::chrono_literals;

TEST(Backoff, DoublesUpToTheCapAndStartsOverAfterReset) {
  Backoff backoff(250ms, 2000ms);
  EXPECT_EQ(backoff.next(), 250ms);
  EXPECT_EQ(backoff.next(), 500ms);
  EXPECT_EQ(backoff.next(), 1000ms);
  EXPECT_EQ(backoff.next(), 2000ms);
  EXPECT_EQ(backoff.next(), 2000ms);
  for (int i = 0; i < 100; ++i) backoff.next();  // no overflow after many failures
  EXPECT_EQ(backoff.next(), 2000ms);
  backoff.reset();
  EXPECT_EQ(backoff.next(), 250ms);
}
