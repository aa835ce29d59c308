#include "loadgen/consistency.h"

#include <algorithm>

#include <limits>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace sessionrig::loadgen {

namespace {

constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();
constexpr std::size_t kMaxQuotedBytes = 64;

// "\"value\"", shortened to kMaxQuotedBytes so one hostile ETag cannot blow
// up the summary.
std::string Quote(std::string_view value) {
  std::string out = "\"";
  if (value.size() > kMaxQuotedBytes) {
    out.append(value.substr(0, kMaxQuotedBytes - 3));
    out.append("...");
  } else {
    out.append(value);
  }
  out.push_back('"');
  return out;
}

// Counts violations and keeps the first examples.
class Reporter {
 public:
  Reporter(ConsistencyResult* result, std::size_t max_examples)
      : result_(result), max_examples_(max_examples) {}
  void Add(std::string example) {
    ++result_->violations;
    if (result_->examples.size() < max_examples_) result_->examples.push_back(std::move(example));
  }

 private:
  ConsistencyResult* result_;
  std::size_t max_examples_;
};

struct Segment {
  std::size_t head = kNone;
  std::size_t tail = kNone;
  bool cycle = false;
};

}  // namespace

ConsistencyResult CheckAppendHistory(const std::vector<WriteRecord>& history,
                                     const std::string& final_etag,
                                     const std::vector<std::string>& final_tokens,
                                     std::size_t max_examples) {
  ConsistencyResult result;
  result.checked = true;
  Reporter report(&result, max_examples);
  const std::size_t n = history.size();

  // Token index over the whole history.
  std::unordered_map<std::string_view, std::size_t> by_token;
  by_token.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto [it, inserted] = by_token.try_emplace(history[i].token, i);
    if (!inserted) {
      report.Add("token reused: token " + Quote(history[i].token) +
                 " was appended by two writes of the history");
    }
  }

  // Acknowledged edges prior -> new; priors of unknown-outcome writes.
  std::unordered_map<std::string_view, std::size_t> by_prior;  // acknowledged, first writer
  std::unordered_map<std::string_view, std::size_t> by_new;    // acknowledged, first writer
  std::unordered_set<std::string_view> unknown_priors;
  by_prior.reserve(n);
  by_new.reserve(n);
  std::vector<char> fork_loser(n, 0);
  std::vector<char> missing_etag(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const WriteRecord& w = history[i];
    if (w.outcome == WriteRecord::kUnknown) {
      unknown_priors.insert(w.prior_etag);
      continue;
    }
    if (w.outcome != WriteRecord::kAcknowledged) continue;
    ++result.acknowledged;
    if (const auto [it, inserted] = by_prior.try_emplace(w.prior_etag, i); !inserted) {
      fork_loser[i] = 1;
      report.Add("shared prior ETag: acknowledged writes of tokens " +
                 Quote(history[it->second].token) + " and " + Quote(w.token) +
                 " both had prior ETag " + Quote(w.prior_etag));
    }
    if (w.new_etag.empty()) {
      missing_etag[i] = 1;
      report.Add("missing ETag: the acknowledged write of token " + Quote(w.token) +
                 " reported no new ETag");
      continue;
    }
    if (const auto [it, inserted] = by_new.try_emplace(w.new_etag, i); !inserted) {
      report.Add("duplicate new ETag: acknowledged writes of tokens " +
                 Quote(history[it->second].token) + " and " + Quote(w.token) +
                 " both produced ETag " + Quote(w.new_etag));
    }
  }

  // Segments: maximal paths along acknowledged edges. A head has no
  // acknowledged predecessor (or lost a shared-prior race).
  std::vector<std::size_t> segment_of(n, kNone);
  std::vector<std::uint64_t> position_in_segment(n, 0);
  std::vector<Segment> segments;
  auto walk = [&](std::size_t start, bool cycle) {
    const std::size_t s = segments.size();
    segments.push_back(Segment{start, start, cycle});
    std::uint64_t position = 0;
    std::size_t current = start;
    while (true) {
      segment_of[current] = s;
      position_in_segment[current] = position++;
      segments[s].tail = current;
      if (missing_etag[current]) break;
      const auto next = by_prior.find(history[current].new_etag);
      if (next == by_prior.end() || segment_of[next->second] != kNone) break;
      current = next->second;
    }
  };
  for (std::size_t i = 0; i < n; ++i) {
    const WriteRecord& w = history[i];
    if (w.outcome != WriteRecord::kAcknowledged) continue;
    const auto pred = by_new.find(w.prior_etag);
    const bool head = fork_loser[i] || pred == by_new.end();
    if (head) walk(i, false);
  }
  // Whatever is left is reachable only around a cycle.
  for (std::size_t i = 0; i < n; ++i) {
    if (history[i].outcome != WriteRecord::kAcknowledged || segment_of[i] != kNone) continue;
    report.Add("ETag cycle: acknowledged writes form a cycle through ETag " +
               Quote(history[i].prior_etag) + " (token " + Quote(history[i].token) + ")");
    walk(i, true);
  }

  // Every segment end must be the final ETag or be continued by a write.
  std::size_t final_segment = kNone;
  std::vector<std::size_t> dangling;
  for (std::size_t s = 0; s < segments.size(); ++s) {
    const Segment& segment = segments[s];
    if (segment.cycle || missing_etag[segment.tail]) continue;
    const std::string& end_etag = history[segment.tail].new_etag;
    if (end_etag == final_etag && final_segment == kNone) {
      final_segment = s;
      continue;
    }
    if (by_prior.count(end_etag) != 0 || unknown_priors.count(end_etag) != 0) continue;
    dangling.push_back(s);
  }
  std::size_t chain_end = kNone;  // the dangling segment reported as the chain's end
  if (final_segment == kNone && !dangling.empty()) {
    chain_end = dangling.front();
    for (std::size_t s : dangling) {
      if (history[segments[s].tail].end_us > history[segments[chain_end].tail].end_us)
        chain_end = s;
    }
    const WriteRecord& tail = history[segments[chain_end].tail];
    report.Add("chain does not end at final ETag: the acknowledged chain ends at ETag " +
               Quote(tail.new_etag) + " (token " + Quote(tail.token) +
               ") but the final document has ETag " + Quote(final_etag));
  }
  for (std::size_t s : dangling) {
    if (s == chain_end) continue;
    const WriteRecord& tail = history[segments[s].tail];
    report.Add("broken chain: ETag " + Quote(tail.new_etag) +
               " produced by the acknowledged write of token " + Quote(tail.token) +
               " is neither the final ETag nor the prior ETag of another write");
  }

  // The final token list.
  std::vector<std::uint32_t> seen(n, 0);
  std::vector<char> segment_closed(segments.size(), 0);
  std::size_t last_segment = kNone;
  std::uint64_t last_position = 0;
  std::string_view last_token;
  for (std::size_t k = 0; k < final_tokens.size(); ++k) {
    const std::string& token = final_tokens[k];
    const auto found = by_token.find(token);
    if (found == by_token.end()) {
      report.Add("foreign token: " + Quote(token) + " at position " + std::to_string(k) +
                 " of the final list was appended by no write of the history");
      continue;
    }
    const std::size_t i = found->second;
    const WriteRecord& w = history[i];
    const std::uint32_t count =
        seen[i] < std::numeric_limits<std::uint32_t>::max() ? ++seen[i] : seen[i];
    if (w.outcome == WriteRecord::kRejected) {
      if (count == 1) {
        report.Add("rejected token present: token " + Quote(token) +
                   " of a write rejected with 412 (prior ETag " + Quote(w.prior_etag) +
                   ") is in the final list at position " + std::to_string(k));
      }
      continue;
    }
    if (w.outcome == WriteRecord::kUnknown) {
      if (count == 2) {
        report.Add("unknown token repeated: token " + Quote(token) +
                   " of an unknown-outcome write appears more than once in the final list");
      }
      continue;
    }
    if (count >= 2) {
      if (count == 2) {
        report.Add("duplicated token: acknowledged token " + Quote(token) +
                   " appears more than once in the final list");
      }
      continue;
    }
    const std::size_t s = segment_of[i];
    const std::uint64_t position = position_in_segment[i];
    if (last_segment != kNone) {
      if (s == last_segment) {
        if (position < last_position) {
          report.Add("out of order: token " + Quote(token) + " follows token " + Quote(last_token) +
                     " in the final list but precedes it in the ETag chain");
        }
      } else if (last_segment == final_segment) {
        report.Add("out of order: token " + Quote(token) + " follows token " + Quote(last_token) +
                   ", whose write is on the chain ending at the final ETag, but is not on it");
      } else if (segment_closed[s]) {
        report.Add("out of order: token " + Quote(token) + " follows token " + Quote(last_token) +
                   " but belongs to a part of the ETag chain listed earlier");
      }
      if (s != last_segment) segment_closed[last_segment] = 1;
    }
    last_segment = s;
    last_position = position;
    last_token = token;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const WriteRecord& w = history[i];
    if (w.outcome != WriteRecord::kAcknowledged || seen[i] != 0) continue;
    // A reused token was reported above; its other write may be the one seen.
    if (by_token.find(w.token)->second != i) continue;
    report.Add("lost update: acknowledged token " + Quote(w.token) + " (ETag " +
               Quote(w.prior_etag) + " -> " + Quote(w.new_etag) +
               ") is missing from the final list");
  }

  result.verdict = result.violations == 0 ? "ok" : "violated";
  result.checks = {kInvariantAppendHistory};
  result.by_invariant[kInvariantAppendHistory] = result.violations;
  return result;
}

ConsistencyResult CheckAppendSessions(const std::vector<SessionHistory>& sessions,
                                      std::size_t max_examples) {
  std::vector<ConsistencyResult> results;
  results.reserve(sessions.size());
  for (const SessionHistory& session : sessions) {
    ConsistencyResult r =
        CheckAppendHistory(session.writes, session.final_etag, session.final_tokens, max_examples);
    for (std::string& example : r.examples) example = "session " + session.session + ": " + example;
    results.push_back(std::move(r));
  }
  return MergeConsistencyResults(results, max_examples);
}

ConsistencyResult MergeConsistencyResults(const std::vector<ConsistencyResult>& results,
                                          std::size_t max_examples) {
  ConsistencyResult merged;
  bool violated = false;
  for (const ConsistencyResult& r : results) {
    merged.checked = merged.checked || r.checked;
    violated = violated || r.verdict == "violated" || r.violations > 0;
    merged.acknowledged += r.acknowledged;
    merged.violations += r.violations;
    merged.lifecycle_removals += r.lifecycle_removals;
    for (const std::string& check : r.checks) {
      if (std::find(merged.checks.begin(), merged.checks.end(), check) == merged.checks.end()) {
        merged.checks.push_back(check);
      }
    }
    for (const auto& [name, count] : r.by_invariant) merged.by_invariant[name] += count;
    for (const std::string& example : r.examples) {
      if (merged.examples.size() >= max_examples) break;
      merged.examples.push_back(example);
    }
  }
  merged.verdict = violated ? "violated" : (merged.checked ? "ok" : "not_checked");
  return merged;
}

}  // namespace sessionrig::loadgen
