#include "nnzero/words/analogy_questions.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "nnzero/error.h"
#include "nnzero/io/file.h"
#include "nnzero/kernels/gemm.h"
#include "nnzero/parallel.h"
#include "nnzero/words/similarity.h"

namespace nnzero {

namespace {

// The blank-separated words of `line`.
std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    size_t end = i;
    while (end < line.size() && !std::isspace(static_cast<unsigned char>(line[end]))) ++end;
    if (end > i) words.push_back(line.substr(i, end - i));
    i = end;
  }
  return words;
}

// A question's ids (a, b, c, d), or nothing when a word is not in the vocabulary.
bool question_ids(const AnalogyQuestion& q, const Vocabulary& vocab, std::array<int32_t, 4>& ids) {
  for (size_t k = 0; k < 4; ++k) {
    ids[k] = question_word_id(q.words[k], vocab);
    if (ids[k] < 0) return false;
  }
  return true;
}

// The best answer to each of `block`'s questions (ids a, b, c): the row of `unit` (V, D,
// normalized) with the highest cosine to b - a + c, a, b and c left out, ties to the lower id.
std::vector<int32_t> answer_block(const std::vector<std::array<int32_t, 4>>& block,
                                  const Tensor& unit) {
  const int64_t B = static_cast<int64_t>(block.size()), V = unit.dim(0), D = unit.dim(1);
  Tensor query(Shape{B, D}), similarity(Shape{B, V});
  for (int64_t q = 0; q < B; ++q) {
    const auto& [a, b, c, d] = block[q];
    double norm = 0.0;
    for (int64_t j = 0; j < D; ++j) {
      const float v = unit[b * D + j] - unit[a * D + j] + unit[c * D + j];
      query[q * D + j] = v;
      norm += static_cast<double>(v) * v;
    }
    const double scale = 1.0 / (std::sqrt(norm) + 1e-8);
    for (int64_t j = 0; j < D; ++j) query[q * D + j] = static_cast<float>(query[q * D + j] * scale);
  }
  // similarity (B, V) = query (B, D) unit^T
  gemm(Trans::No, Trans::Yes, static_cast<int>(B), static_cast<int>(V), static_cast<int>(D), 1.0f,
       query.data(), static_cast<int>(D), unit.data(), static_cast<int>(D), 0.0f, similarity.data(),
       static_cast<int>(V));
  std::vector<int32_t> best(static_cast<size_t>(B), -1);
  parallel_for(
      B,
      [&](int64_t q0, int64_t q1) {
        for (int64_t q = q0; q < q1; ++q) {
          const auto& ids = block[q];
          float top = -std::numeric_limits<float>::infinity();
          for (int64_t i = 0; i < V; ++i) {
            if (i == ids[0] || i == ids[1] || i == ids[2]) continue;
            if (similarity[q * V + i] > top) {
              top = similarity[q * V + i];
              best[q] = static_cast<int32_t>(i);
            }
          }
        }
      },
      1);
  return best;
}

}  // namespace

AnalogyQuestions parse_analogy_questions(std::string_view text, const std::string& name) {
  AnalogyQuestions out;
  int64_t line_number = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    const auto where = [&] { return name + ": line " + std::to_string(line_number) + ": "; };
    const std::vector<std::string_view> words = split_words(line);
    if (words.empty()) continue;
    try {
      (void)nlohmann::json(std::string(line)).dump();  // throws on invalid UTF-8
    } catch (const nlohmann::json::exception&) {
      throw Error(where() + "invalid UTF-8");
    }
    if (words[0].starts_with(':')) {
      std::string section(line.substr(line.find(':') + 1));
      section.erase(0, section.find_first_not_of(" \t\r"));
      section.erase(section.find_last_not_of(" \t\r") + 1);
      if (section.empty()) throw Error(where() + "a section line ':' without a name");
      out.sections.push_back(section);
      continue;
    }
    if (words.size() != 4) {
      throw Error(where() +
                  "expected four words \"a b c d\" (a is to b as c is to d) or a "
                  "section \": name\", got " +
                  std::to_string(words.size()) + " words");
    }
    if (out.sections.empty()) out.sections.push_back("");
    AnalogyQuestion q;
    for (size_t k = 0; k < 4; ++k) q.words[k] = std::string(words[k]);
    q.section = static_cast<int64_t>(out.sections.size()) - 1;
    q.line = line_number;
    out.questions.push_back(std::move(q));
  }
  if (out.questions.empty()) throw Error(name + ": no analogy question in it (lines \"a b c d\")");
  return out;
}

AnalogyQuestions read_analogy_questions(const std::string& path) {
  const std::vector<uint8_t> bytes = read_file(path);
  return parse_analogy_questions(
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), path);
}

int32_t question_word_id(std::string_view word, const Vocabulary& vocab) {
  const int32_t id = vocab.id_of(word);
  if (id >= 0) return id;
  std::string lower(word);
  for (char& ch : lower) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  }
  return vocab.id_of(lower);
}

AnalogyScore score_analogies(const AnalogyQuestions& questions, const Vocabulary& vocab,
                             const Tensor& word_matrix) {
  check_word_matrix(word_matrix, vocab, "score_analogies");
  const Tensor unit = normalized_rows(word_matrix);
  AnalogyScore score;
  for (const std::string& s : questions.sections) score.sections.push_back({s, {}});
  // Blocks of questions whose similarities (B, V) take at most 2^24 floats (64 MB): 1,677
  // questions at a time for the Penn Treebank's 10,000 words.
  const auto kBlock = static_cast<size_t>(std::max<int64_t>(1, (int64_t{1} << 24) / vocab.size()));
  std::vector<std::array<int32_t, 4>> block;
  std::vector<int64_t> block_section;
  const auto flush = [&] {
    const std::vector<int32_t> best = answer_block(block, unit);
    for (size_t q = 0; q < block.size(); ++q) {
      const bool right = best[q] == block[q][3];
      score.overall.correct += right;
      score.sections[static_cast<size_t>(block_section[q])].second.correct += right;
    }
    block.clear();
    block_section.clear();
  };
  for (const AnalogyQuestion& q : questions.questions) {
    std::array<int32_t, 4> ids{};
    AnalogyTally& section = score.sections[static_cast<size_t>(q.section)].second;
    if (!question_ids(q, vocab, ids)) {
      ++section.skipped;
      ++score.overall.skipped;
      continue;
    }
    ++section.asked;
    ++score.overall.asked;
    block.push_back(ids);
    block_section.push_back(q.section);
    if (block.size() == kBlock) flush();
  }
  if (!block.empty()) flush();
  return score;
}

}  // namespace nnzero
