#pragma once
// Catalog times for unit tests: microseconds, and a fixed, realistic base time.

#include "recorder/catalog/catalog.h"

namespace test_support {

constexpr recorder::catalog::Micros second = 1'000'000;
constexpr recorder::catalog::Micros minute = 60 * second;
// 2026-11-30T10:00:00Z: an arbitrary, realistic base time.
constexpr recorder::catalog::Micros base = 1'796'032'800 * second;

}  // namespace test_support
