// The progress bar of a long run (LoopOptions::progress): on stderr, only
// when stderr is a terminal (Progress::terminal, the default), always, or
// never. Nothing is written when stderr is piped or redirected, unless asked.
//
//   [##########..........]  50%  500.0 / 1000.0 ms simulated  0.21 s  ETA 0.21 s
//
// Redrawn at most once per percent of the steps (a comparison of two
// integers per step otherwise), on one line ('\r'), ended by a newline.
// (In compose/, not io/: LoopOverTime draws it, and io depends on compose.)
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdio>

#if __has_include(<unistd.h>)
#include <unistd.h>
#endif

namespace modyn {

/// When a LoopOverTime draws a progress bar on stderr: never, only when
/// stderr is a terminal, or always.
enum class Progress { never, terminal, always };

namespace detail {

inline bool stderr_is_terminal() {
#if __has_include(<unistd.h>)
  return ::isatty(2) == 1;
#else
  return false;
#endif
}

class progress_bar {
 public:
  progress_bar(Progress mode, std::size_t steps, double t0, double dt)
      : enabled_(steps > 0 &&
                 (mode == Progress::always || (mode == Progress::terminal && stderr_is_terminal()))),
        steps_(steps),
        t0_(t0),
        dt_(dt),
        start_(std::chrono::steady_clock::now()) {}
  progress_bar(const progress_bar&) = delete;
  progress_bar& operator=(const progress_bar&) = delete;
  ~progress_bar() { finish(); }

  // `done` steps of the run are complete.
  void advance(std::size_t done) {
    if (!enabled_ || done < next_) return;
    draw(done);
    next_ = done + (steps_ + 99) / 100;
  }

  void finish() {
    if (!enabled_ || finished_) return;
    draw(drawn_);
    std::fputc('\n', stderr);
    finished_ = true;
  }

 private:
  void draw(std::size_t done) {
    drawn_ = done;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double fraction = static_cast<double>(done) / static_cast<double>(steps_);
    constexpr int width = 20;
    char bar[width + 1];
    for (int k = 0; k < width; ++k) bar[k] = k < static_cast<int>(fraction * width) ? '#' : '.';
    bar[width] = '\0';
    const double eta = done == 0 ? 0.0 : elapsed * (1.0 - fraction) / fraction;
    std::fprintf(stderr, "\r[%s] %3d%%  %.1f / %.1f ms simulated  %.2f s  ETA %.2f s ", bar,
                 static_cast<int>(fraction * 100.0), t0_ + static_cast<double>(done) * dt_,
                 t0_ + static_cast<double>(steps_) * dt_, elapsed, eta);
    std::fflush(stderr);
  }

  bool enabled_;
  bool finished_ = false;
  std::size_t steps_, next_ = 0, drawn_ = 0;
  double t0_, dt_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace detail
}  // namespace modyn
