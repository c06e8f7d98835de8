#include "nnzero/words/preprocess.h"

#include <cctype>
#include <string>

namespace nnzero {

Preprocessed preprocess(std::string_view text) {
  std::string lowered;
  for (const char ch : text) {
    if (ch == '.') lowered += ' ';
    lowered += ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch;
  }
  Preprocessed out{{}, Vocabulary(Vocabulary::Level::word)};
  size_t i = 0;
  while (i < lowered.size()) {
    while (i < lowered.size() && std::isspace(static_cast<unsigned char>(lowered[i]))) ++i;
    size_t end = i;
    while (end < lowered.size() && !std::isspace(static_cast<unsigned char>(lowered[end]))) ++end;
    if (end > i) out.corpus.push_back(out.vocab.add(std::string_view(lowered).substr(i, end - i)));
    i = end;
  }
  return out;
}

}  // namespace nnzero
