// Book 2, chapter 2: counting methods. The book's 7-word example ("you say goodbye and i say
// hello .") with the values it prints (sections 2.3-2.4); the sparse matrix and SVD kernels
// against plain references; word-vector files; analogy questions; the Penn Treebank's PPMI +
// SVD vectors (their neighbours, their analogy accuracy); `nnzero words` and what it refuses.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "nnzero/io/safetensors.h"
#include "nnzero/kernels/csr_matrix.h"
#include "nnzero/kernels/gemm.h"
#include "nnzero/kernels/randomized_svd.h"
#include "nnzero/kernels/svd.h"
#include "nnzero/words/analogy_questions.h"
#include "nnzero/words/co_occurrence.h"
#include "nnzero/words/count_method.h"
#include "nnzero/words/ppmi.h"
#include "nnzero/words/preprocess.h"
#include "nnzero/words/similarity.h"
#include "nnzero/words/word_vectors.h"
#include "test_data_dir.h"
#include "test_support.h"

using namespace nnzero;
using nnzero_test::error_of;
using nnzero_test::run_cli;
using nnzero_test::ScratchDir;
using nnzero_test::spit;

namespace {

constexpr const char* kBookSentence = "You say goodbye and I say hello.";

// A (rows, cols) tensor of uniform values in [-1, 1), about `density` of them nonzero.
Tensor words_random_matrix(Rng& rng, int64_t rows, int64_t cols, double density = 1.0) {
  Tensor m(Shape{rows, cols});
  for (float& v : m) v = rng.uniform_double() < density ? rng.uniform(-1.0f, 1.0f) : 0.0f;
  return m;
}

// U diag(S) Vt, the matrix an SVD stands for.
Tensor words_product(const Svd& s) {
  const int64_t m = s.U.dim(0), k = s.U.dim(1), n = s.Vt.dim(1);
  Tensor us = s.U.clone();
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t r = 0; r < k; ++r) us[i * k + r] *= s.S[r];
  }
  Tensor out(Shape{m, n});
  gemm_reference(Trans::No, Trans::No, static_cast<int>(m), static_cast<int>(n),
                 static_cast<int>(k), 1.0f, us.data(), static_cast<int>(k), s.Vt.data(),
                 static_cast<int>(n), 0.0f, out.data(), static_cast<int>(n));
  return out;
}

// U_g U_g^T for the columns [r0, r1) of U (m, k): the projection onto their span.
Tensor words_projector(const Tensor& U, int64_t r0, int64_t r1) {
  const int64_t m = U.dim(0), k = U.dim(1);
  Tensor P(Shape{m, m});
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < m; ++j) {
      for (int64_t r = r0; r < r1; ++r) P[i * m + j] += U[i * k + r] * U[j * k + r];
    }
  }
  return P;
}

// The first k singular values of two SVDs agree, and so do their singular vectors. These are
// unique up to sign only where a singular value is single; a repeated one (the book's PPMI
// matrix has only pairs) allows any rotation within its span. So what is compared is the
// projection onto the span of each group of equal singular values, U_g U_g^T and V_g V_g^T.
void words_expect_same_svd(const Svd& got, const Svd& want, int64_t k, float tolerance,
                           const std::string& what) {
  for (int64_t r = 0; r < k; ++r) {
    EXPECT_NEAR(got.S[r], want.S[r], tolerance * want.S[0]) << what << " S[" << r << "]";
  }
  const auto transposed_v = [](const Tensor& Vt) {
    const int64_t k = Vt.dim(0), n = Vt.dim(1);
    Tensor V(Shape{n, k});
    for (int64_t r = 0; r < k; ++r) {
      for (int64_t j = 0; j < n; ++j) V[j * k + r] = Vt[r * n + j];
    }
    return V;
  };
  const Tensor got_v = transposed_v(got.Vt), want_v = transposed_v(want.Vt);
  for (int64_t r0 = 0, r1 = 1; r0 < k; r0 = r1, r1 = r0 + 1) {
    while (r1 < want.S.numel() && want.S[r1] > want.S[r0] - 1e-3f * want.S[0]) ++r1;
    if (r1 > k) break;  // a group that k cuts: its part in the first k is not determined
    if (want.S[r0] < 1e-4f * want.S[0]) break;  // 0: any vectors of the null space will do
    const std::string group =
        what + " singular values " + std::to_string(r0) + ".." + std::to_string(r1 - 1);
    nnzero_test::expect_close(words_projector(got.U, r0, r1), words_projector(want.U, r0, r1),
                              group + ": U's span");
    nnzero_test::expect_close(words_projector(got_v, r0, r1), words_projector(want_v, r0, r1),
                              group + ": V's span");
  }
}

CountMethodOptions words_options(int64_t window, int64_t dim) {
  CountMethodOptions o;
  o.window = window;
  o.dim = dim;
  return o;
}

RandomizedSvdOptions words_svd_options(int64_t oversamples, int power_iterations) {
  RandomizedSvdOptions o;
  o.oversamples = oversamples;
  o.power_iterations = power_iterations;
  return o;
}

// A word-level corpus folder (tiny.train/valid/test.txt) of the book's sentence, repeated.
void words_tiny_corpus(const ScratchDir& dir, int repeats = 50) {
  std::string text;
  for (int i = 0; i < repeats; ++i) text += " you say goodbye and i say hello . \n";
  std::filesystem::create_directories(dir.path() / "tiny");
  for (const char* part : {"train", "valid", "test"}) {
    spit(dir.path() / "tiny" / (std::string("tiny.") + part + ".txt"), text);
  }
}

}  // namespace

// --- the book's 7-word example ------------------------------------------------------------

TEST(WordsBook, PreprocessGivesTheBooksIds) {
  const Preprocessed p = preprocess(kBookSentence);
  EXPECT_EQ(p.corpus, (std::vector<int32_t>{0, 1, 2, 3, 4, 1, 5, 6}));
  ASSERT_EQ(p.vocab.size(), 7);
  EXPECT_EQ(p.vocab.token(0), "you");
  EXPECT_EQ(p.vocab.token(4), "i");
  EXPECT_EQ(p.vocab.token(6), ".");
}

TEST(WordsBook, CoOccurrenceMatrixAsTheBookPrintsIt) {
  const Preprocessed p = preprocess(kBookSentence);
  const Tensor C = to_dense(create_co_matrix(p.corpus, p.vocab.size(), 1));
  // Book 2, section 2.3.4.
  const Tensor book(Shape{7, 7}, {0, 1, 0, 0, 0, 0, 0,  //
                                  1, 0, 1, 0, 1, 1, 0,  //
                                  0, 1, 0, 1, 0, 0, 0,  //
                                  0, 0, 1, 0, 1, 0, 0,  //
                                  0, 1, 0, 1, 0, 0, 0,  //
                                  0, 1, 0, 0, 0, 0, 1,  //
                                  0, 0, 0, 0, 0, 1, 0});
  for (int64_t i = 0; i < 49; ++i)
    EXPECT_EQ(C[i], book[i]) << "C[" << i / 7 << ", " << i % 7 << "]";
  // A wider window sees further; a word beside itself counts on the diagonal.
  const CsrMatrix wide = create_co_matrix(p.corpus, 7, 2);
  EXPECT_EQ(wide.at(0, 2), 1.0f);  // you _ goodbye
  EXPECT_EQ(wide.at(1, 1), 0.0f);
  const std::vector<int32_t> twice = {0, 0, 1};
  EXPECT_EQ(create_co_matrix(twice, 2, 1).at(0, 0), 2.0f);
}

TEST(WordsBook, PpmiAsTheBookPrintsIt) {
  const Preprocessed p = preprocess(kBookSentence);
  const Tensor W = to_dense(ppmi(create_co_matrix(p.corpus, p.vocab.size(), 1)));
  // Book 2, section 2.4.1 (np.set_printoptions(precision=3)).
  const Tensor book(Shape{7, 7}, {0,     1.807, 0,     0,     0,     0,     0,      //
                                  1.807, 0,     0.807, 0,     0.807, 0.807, 0,      //
                                  0,     0.807, 0,     1.807, 0,     0,     0,      //
                                  0,     0,     1.807, 0,     1.807, 0,     0,      //
                                  0,     0.807, 0,     1.807, 0,     0,     0,      //
                                  0,     0.807, 0,     0,     0,     0,     2.807,  //
                                  0,     0,     0,     0,     0,     2.807, 0});
  for (int64_t i = 0; i < 49; ++i) {
    EXPECT_NEAR(W[i], book[i], 5e-4) << "W[" << i / 7 << ", " << i % 7 << "]";
  }
  // The exact values: N = 14, S = (1, 4, 2, 2, 2, 2, 1): log2(14 / (1 * 4)) = log2(3.5) ...
  EXPECT_NEAR(W.at(0, 1), std::log2(3.5), 1e-6);
  EXPECT_NEAR(W.at(1, 2), std::log2(1.75), 1e-6);
  EXPECT_NEAR(W.at(5, 6), std::log2(7.0), 1e-6);
}

TEST(WordsBook, CosSimilarityOfYouAndI) {
  const Preprocessed p = preprocess(kBookSentence);
  const Tensor C = to_dense(create_co_matrix(p.corpus, p.vocab.size(), 1));
  const auto row = [&](const char* w) {
    return std::span<const float>(C.data() + p.vocab.id_of(w) * 7, 7);
  };
  // Book 2, section 2.3.5: 0.7071067691154799 (1 / ((1 + eps)(sqrt 2 + eps))).
  EXPECT_DOUBLE_EQ(cos_similarity(row("you"), row("i")), 0.7071067691154799);
  const std::vector<float> zero(7, 0.0f);
  EXPECT_EQ(cos_similarity(zero, row("i")), 0.0);  // eps: no 0/0
  EXPECT_HAS(error_of([&] { cos_similarity(zero, std::span(zero).first(3)); }), "7 and 3");
}

TEST(WordsBook, MostSimilarToYouAsTheBookPrintsIt) {
  const Preprocessed p = preprocess(kBookSentence);
  const Tensor C = to_dense(create_co_matrix(p.corpus, p.vocab.size(), 1));
  // Book 2, section 2.3.6: goodbye, i, hello 0.7071067691154799; say, and 0.0.
  const std::vector<SimilarWord> top = most_similar("you", p.vocab, C, 5);
  const std::vector<std::string> words = {"goodbye", "i", "hello", "say", "and"};
  ASSERT_EQ(top.size(), 5u);
  for (size_t r = 0; r < 5; ++r) {
    EXPECT_EQ(top[r].word, words[r]) << r;
    EXPECT_EQ(top[r].id, p.vocab.id_of(words[r]));
    EXPECT_DOUBLE_EQ(top[r].similarity, r < 3 ? 0.7071067691154799 : 0.0);
  }
  EXPECT_EQ(most_similar("you", p.vocab, C, 100).size(), 6u);  // all but the query
  EXPECT_HAS(error_of([&] { most_similar("they", p.vocab, C); }),
             "the word 'they' is not in the vocabulary (7 words)");
  EXPECT_HAS(error_of([&] {
               most_similar("you", p.vocab, Tensor(Shape{6, 7}));
             }),
             "most_similar: the word vectors are (6, 7), expected (7, D)");
}

TEST(WordsBook, SvdOfThePpmiMatrixReconstructsIt) {
  const Preprocessed p = preprocess(kBookSentence);
  const Tensor W = to_dense(ppmi(create_co_matrix(p.corpus, p.vocab.size(), 1)));
  const Svd s = svd(W);
  nnzero_test::expect_close(words_product(s), W, "U S V^T");
  // Its singular values come in pairs: 3.168, 3.168, 2.703, 2.703, 1.514, 1.514, 0.
  EXPECT_NEAR(s.S[0], s.S[1], 1e-5f);
  EXPECT_NEAR(s.S[6], 0.0f, 1e-5f);
  words_expect_same_svd(s, svd_reference(W), 7, 1e-4f, "the book's PPMI");
  // Book 2, section 2.4.3 prints U[0] = [3.409e-01 -1.110e-16 -3.886e-16 -1.205e-01 0.000e+00
  // 9.323e-01 2.226e-16] (NumPy's LAPACK); within each pair the basis is LAPACK's choice, and
  // OpenBLAS's sgesdd makes the same one, up to the sign.
  const float book_u0[7] = {0.3409f, 0, 0, -0.1205f, 0, 0.9323f, 0};
  const float sign = s.U.at(0, 0) > 0 ? 1.0f : -1.0f;
  for (int64_t r = 0; r < 7; ++r) EXPECT_NEAR(sign * s.U.at(0, r), book_u0[r], 1e-3f) << r;
}

// --- the kernels against plain references --------------------------------------------------

TEST(WordsKernels, CsrMatmulAndTransposeMatchTheDenseMatrix) {
  Rng rng(3);
  const Tensor dense = words_random_matrix(rng, 37, 23, 0.2);
  const CsrMatrix a = to_csr(dense);
  EXPECT_EQ(to_dense(a).span().size(), dense.span().size());
  nnzero_test::expect_close(to_dense(a), dense, "to_dense(to_csr)");
  EXPECT_EQ(a.at(5, 7), dense.at(5, 7));
  const Tensor X = words_random_matrix(rng, 23, 11);
  Tensor Y, want(Shape{37, 11});
  csr_matmul(a, X, Y);
  gemm_reference(Trans::No, Trans::No, 37, 11, 23, 1.0f, dense.data(), 23, X.data(), 11, 0.0f,
                 want.data(), 11);
  nnzero_test::expect_close(Y, want, "A X");
  const Tensor t = to_dense(transposed(a));
  for (int64_t i = 0; i < 37; ++i) {
    for (int64_t j = 0; j < 23; ++j) ASSERT_EQ(t.at(j, i), dense.at(i, j));
  }
  EXPECT_HAS(error_of([&] {
               csr_matmul(a, Tensor(Shape{22, 3}), Y);
             }),
             "csr_matmul: A is (37, 23), X is (22, 3)");
}

TEST(WordsKernels, SvdReferenceOfAKnownMatrix) {
  // A^T A = [[25, 20], [20, 25]]: eigenvalues 45 and 5.
  const Svd s = svd_reference(Tensor(Shape{2, 2}, {3, 0, 4, 5}));
  EXPECT_NEAR(s.S[0], std::sqrt(45.0), 1e-6);
  EXPECT_NEAR(s.S[1], std::sqrt(5.0), 1e-6);
  nnzero_test::expect_close(words_product(s), Tensor(Shape{2, 2}, {3, 0, 4, 5}), "U S V^T");
}

TEST(WordsKernels, LapackSvdMatchesTheJacobiReference) {
  Rng rng(5);
  for (const auto& [m, n] : std::vector<std::pair<int64_t, int64_t>>{{9, 6}, {6, 9}, {8, 8}}) {
    const Tensor A = words_random_matrix(rng, m, n);
    const Svd fast = svd(A), slow = svd_reference(A);
    const std::string what = std::to_string(m) + "x" + std::to_string(n);
    EXPECT_EQ(fast.U.shape(), (Shape{m, std::min(m, n)})) << what;
    EXPECT_EQ(fast.Vt.shape(), (Shape{std::min(m, n), n})) << what;
    nnzero_test::expect_close(words_product(fast), A, what + " U S V^T");
    nnzero_test::expect_close(words_product(slow), A, what + " reference U S V^T");
    words_expect_same_svd(fast, slow, std::min(m, n), 1e-4f, what);
  }
  EXPECT_HAS(error_of([&] { svd(Tensor(Shape{0, 3})); }), "svd: needs a non-empty matrix");
}

TEST(WordsKernels, RandomizedSvdIsExactWhenItSeesTheWholeRange) {
  Rng rng(7);
  const Tensor A = words_random_matrix(rng, 40, 25, 0.3);
  Rng draw(1);
  // k + oversamples >= 25: the projection spans A's whole range.
  const Svd s = randomized_svd(to_csr(A), 6, draw, words_svd_options(30, 0));
  EXPECT_EQ(s.U.shape(), (Shape{40, 6}));
  EXPECT_EQ(s.Vt.shape(), (Shape{6, 25}));
  words_expect_same_svd(s, svd_reference(A), 6, 2e-4f, "whole range");
}

TEST(WordsKernels, RandomizedSvdFindsTheLeadingTripletsOfADecayingSpectrum) {
  // A = sum_r 2^-r u_r v_r^T (+ a little noise): the top 5 stand out from the rest.
  Rng rng(11);
  const int64_t m = 120, n = 80;
  const Svd basis = svd_reference(words_random_matrix(rng, m, n));
  Svd shaped = basis;
  shaped.S = basis.S.clone();
  for (int64_t r = 0; r < n; ++r) shaped.S[r] = std::pow(2.0f, -static_cast<float>(r));
  const Tensor A = words_product(shaped);
  Rng draw(2);
  const Svd s = randomized_svd(to_csr(A), 5, draw);  // 15 directions, 5 power iterations
  words_expect_same_svd(s, svd_reference(A), 5, 1e-3f, "decaying spectrum");
  // The same seed, the same vectors.
  Rng again(2);
  const Svd s2 = randomized_svd(to_csr(A), 5, again);
  for (int64_t i = 0; i < s.U.numel(); ++i) ASSERT_EQ(s.U[i], s2.U[i]);
  EXPECT_HAS(error_of([&] { randomized_svd(to_csr(A), 81, draw); }),
             "randomized_svd: 81 singular vectors asked of a (120, 80) matrix (at least 1, at "
             "most 80)");
}

TEST(WordsKernels, OrthonormalizedColumnsSpanTheSameSpace) {
  Rng rng(13);
  const Tensor Y = words_random_matrix(rng, 50, 7);
  Tensor Q = Y.clone();
  orthonormalize_columns(Q);
  Tensor QtQ(Shape{7, 7}), QtY(Shape{7, 7}), back(Shape{50, 7});
  gemm_reference(Trans::Yes, Trans::No, 7, 7, 50, 1.0f, Q.data(), 7, Q.data(), 7, 0.0f, QtQ.data(),
                 7);
  for (int64_t i = 0; i < 7; ++i) {
    for (int64_t j = 0; j < 7; ++j) ASSERT_NEAR(QtQ.at(i, j), i == j ? 1.0f : 0.0f, 1e-5f);
  }
  // Y = Q (Q^T Y): Y lies in Q's span.
  gemm_reference(Trans::Yes, Trans::No, 7, 7, 50, 1.0f, Q.data(), 7, Y.data(), 7, 0.0f, QtY.data(),
                 7);
  gemm_reference(Trans::No, Trans::No, 50, 7, 7, 1.0f, Q.data(), 7, QtY.data(), 7, 0.0f,
                 back.data(), 7);
  nnzero_test::expect_close(back, Y, "Q Q^T Y");
}

// --- the count method, its files and what they refuse ----------------------------------------

TEST(WordsCount, RefusesWhatCannotBeCounted) {
  const Preprocessed p = preprocess(kBookSentence);
  EXPECT_HAS(error_of([&] { create_co_matrix({}, 7); }), "create_co_matrix: an empty corpus");
  EXPECT_HAS(error_of([&] { create_co_matrix(p.corpus, 7, 0); }), "window size 0");
  EXPECT_HAS(error_of([&] { create_co_matrix(p.corpus, 6); }),
             "word id 6 at position 7 is outside the vocabulary of 6 words");
  CsrMatrix none;
  none.rows = none.cols = 2;
  none.row_start = {0, 0, 0};
  EXPECT_HAS(error_of([&] { ppmi(none); }), "ppmi: the co-occurrence matrix holds no count");
  EXPECT_HAS(error_of([&] { count_word_vectors(p.corpus, p.vocab, words_options(2, 8)); }),
             "count_word_vectors: 8 dimensions asked of a vocabulary of 7 words");
  EXPECT_HAS(error_of([&] { count_word_vectors({}, p.vocab, words_options(2, 2)); }),
             "an empty corpus");
}

TEST(WordsCount, VectorsOfTheBooksSentenceAndTheirFile) {
  const Preprocessed p = preprocess(kBookSentence);
  CountMethodStats stats;
  const WordVectors v = count_word_vectors(p.corpus, p.vocab, words_options(1, 2), &stats);
  EXPECT_EQ(v.embedding.shape(), (Shape{7, 2}));
  EXPECT_EQ(stats.co_occurrence_nonzeros, 14);
  EXPECT_EQ(stats.ppmi_nonzeros, 14);
  // The first two columns of the PPMI matrix's U (the book's figure 2-11 plots them), up to a
  // rotation within their pair of equal singular values: the same span.
  const Svd exact = svd(to_dense(ppmi(create_co_matrix(p.corpus, 7, 1))));
  nnzero_test::expect_close(words_projector(v.embedding, 0, 2), words_projector(exact.U, 0, 2),
                            "the vectors' span");
  const nlohmann::json how = nlohmann::json::parse(v.how);
  EXPECT_EQ(how["method"], "ppmi_svd");
  EXPECT_EQ(how["window"], 1);
  EXPECT_EQ(how["dim"], 2);
  EXPECT_EQ(how["corpus_words"], 8);

  ScratchDir dir;
  save_word_vectors(dir / "v.safetensors", v);
  const SafetensorsFile file = SafetensorsFile::read(dir / "v.safetensors");
  EXPECT_EQ(file.entries().size(), 1u);
  EXPECT_EQ(file.metadata().at("nnzero.vocab"), p.vocab.to_json());
  EXPECT_EQ(file.metadata().at("nnzero.word_vectors"), v.how);
  const WordVectors back = load_word_vectors(dir / "v.safetensors");
  EXPECT_EQ(back.vocab.to_json(), p.vocab.to_json());
  EXPECT_EQ(back.how, v.how);
  for (int64_t i = 0; i < 14; ++i) EXPECT_EQ(back.embedding[i], v.embedding[i]);
  EXPECT_HAS(error_of([&] {
               save_word_vectors(dir / "w.safetensors", {p.vocab, Tensor(Shape{6, 2}), "{}"});
             }),
             "tensor \"embedding\" is (6, 2), expected (7, D)");
}

TEST(WordsFiles, ALanguageModelsEmbeddingReadsAsWordVectorsAndOtherFilesAreRefused) {
  ScratchDir dir;
  const Preprocessed p = preprocess(kBookSentence);
  Rng rng(1);
  const Tensor embedding = words_random_matrix(rng, 7, 4), linear = words_random_matrix(rng, 7, 4);
  const std::string lm_spec =
      R"({"name": "tiny_lm", "layers": [{"type": "embedding"}, {"type": "lstm"}]})";
  write_safetensors(dir / "lm.safetensors", {{"0.weight", &embedding}, {"2.weight", &linear}},
                    {{"nnzero.vocab", p.vocab.to_json()}, {"nnzero.spec", lm_spec}});
  const WordVectors v = load_word_vectors(dir / "lm.safetensors");
  EXPECT_EQ(v.embedding.shape(), (Shape{7, 4}));
  EXPECT_EQ(v.embedding[5], embedding[5]);
  EXPECT_EQ(
      nlohmann::json::parse(v.how),
      (nlohmann::json{{"method", "language_model"}, {"model", "tiny_lm"}, {"tensor", "0.weight"}}));

  const auto refused = [&](const std::string& name,
                           const std::vector<std::pair<std::string, const Tensor*>>& tensors,
                           const std::map<std::string, std::string>& metadata) {
    write_safetensors(dir / name, tensors, metadata);
    return error_of([&] { load_word_vectors(dir / name); });
  };
  EXPECT_HAS(refused("no_vocab.safetensors", {{"embedding", &embedding}}, {}),
             "no_vocab.safetensors: no \"nnzero.vocab\" in __metadata__: not word vectors");
  EXPECT_HAS(
      refused("none.safetensors", {{"x", &embedding}}, {{"nnzero.vocab", p.vocab.to_json()}}),
      "none.safetensors: no word vectors in it: neither a tensor \"embedding\"");
  EXPECT_HAS(refused("mlp.safetensors", {{"0.weight", &embedding}},
                     {{"nnzero.vocab", p.vocab.to_json()},
                      {"nnzero.spec", R"({"name": "mlp", "layers": [{"type": "linear"}]})"}}),
             "mlp.safetensors: a model whose first layer is not an embedding");
  const Tensor short_rows = words_random_matrix(rng, 5, 4);
  EXPECT_HAS(refused("short.safetensors", {{"embedding", &short_rows}},
                     {{"nnzero.vocab", p.vocab.to_json()}}),
             "short.safetensors: tensor \"embedding\" is (5, 4), expected (7, D)");
  EXPECT_HAS(refused("badvocab.safetensors", {{"embedding", &embedding}}, {{"nnzero.vocab", "[]"}}),
             "badvocab.safetensors: nnzero.vocab");
  spit(dir.path() / "text.safetensors", "not a safetensors file");
  EXPECT_HAS(error_of([&] { load_word_vectors(dir / "text.safetensors"); }), "text.safetensors");
}

// --- analogies ----------------------------------------------------------------------------------

TEST(WordsAnalogy, QuestionsParseBySectionAndBadLinesAreNamed) {
  const AnalogyQuestions q = parse_analogy_questions(
      ": capital-common-countries\nAthens Greece Baghdad Iraq\n\n : gram2-opposite \n"
      "aware unaware certain uncertain\r\nclear unclear\tcomfortable uncomfortable\n",
      "q.txt");
  EXPECT_EQ(q.sections, (std::vector<std::string>{"capital-common-countries", "gram2-opposite"}));
  ASSERT_EQ(q.questions.size(), 3u);
  EXPECT_EQ(q.questions[0].words,
            (std::array<std::string, 4>{"Athens", "Greece", "Baghdad", "Iraq"}));
  EXPECT_EQ(q.questions[0].section, 0);
  EXPECT_EQ(q.questions[2].section, 1);
  EXPECT_EQ(q.questions[2].line, 6);
  EXPECT_EQ(q.questions[1].words[3], "uncertain");  // the \r is a blank
  EXPECT_EQ(parse_analogy_questions("a b c d\n", "q").sections, std::vector<std::string>{""});

  EXPECT_HAS(error_of([] { parse_analogy_questions(": s\na b c d\na b c\n", "q.txt"); }),
             "q.txt: line 3: expected four words \"a b c d\" (a is to b as c is to d) or a "
             "section \": name\", got 3 words");
  EXPECT_HAS(error_of([] { parse_analogy_questions("a b c d e\n", "q.txt"); }),
             "q.txt: line 1: expected four words");
  EXPECT_HAS(error_of([] { parse_analogy_questions("a b c d\n:\n", "q.txt"); }),
             "q.txt: line 2: a section line ':' without a name");
  EXPECT_HAS(error_of([] { parse_analogy_questions(": s\n\n", "q.txt"); }),
             "q.txt: no analogy question in it");
  EXPECT_HAS(error_of([] { parse_analogy_questions("a b \xff d\n", "q.txt"); }),
             "q.txt: line 1: invalid UTF-8");
}

TEST(WordsAnalogy, AnswersTheQuestionsOfVectorsMadeForThem) {
  // Four words on the corners of a square and two others: king - man + woman = queen.
  Vocabulary vocab(Vocabulary::Level::word);
  for (const char* w : {"king", "queen", "man", "woman", "apple", "pear"}) vocab.add(w);
  const Tensor W(Shape{6, 3}, {1, 1, 0.1f,    //
                               1, -1, 0.1f,   //
                               -1, 1, 0.1f,   //
                               -1, -1, 0.1f,  //
                               0, 0, 1,       //
                               0.1f, 0, 1});
  const std::vector<SimilarWord> answers = analogy("man", "king", "woman", vocab, W, 3);
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_EQ(answers[0].word, "queen");
  EXPECT_NEAR(answers[0].similarity, 1.0, 0.01);
  EXPECT_HAS(error_of([&] { analogy("man", "kong", "woman", vocab, W); }), "the word 'kong'");

  const AnalogyQuestions q = parse_analogy_questions(
      ": royal\nMan King Woman Queen\nman king woman pear\nman king prince princess\n"
      ": fruit\napple pear king queen\n",
      "q.txt");
  EXPECT_EQ(question_word_id("Man", vocab), 2);
  EXPECT_EQ(question_word_id("Prince", vocab), -1);
  const AnalogyScore s = score_analogies(q, vocab, W);
  EXPECT_EQ(s.overall.asked, 3);
  EXPECT_EQ(s.overall.skipped, 1);
  EXPECT_EQ(s.overall.correct, 2);
  ASSERT_EQ(s.sections.size(), 2u);
  EXPECT_EQ(s.sections[0].first, "royal");
  EXPECT_EQ(s.sections[0].second.asked, 2);
  EXPECT_EQ(s.sections[0].second.skipped, 1);
  EXPECT_EQ(s.sections[0].second.correct, 1);
  EXPECT_NEAR(s.sections[0].second.accuracy(), 0.5, 1e-12);
  EXPECT_EQ(s.sections[1].second.asked, 1);
  // apple : pear = king : queen, as analogy() answers it (pear - apple points to queen's side).
  EXPECT_EQ(s.sections[1].second.correct, 1);
  EXPECT_EQ(analogy("apple", "pear", "king", vocab, W, 1)[0].word, "queen");
}

// --- the Penn Treebank --------------------------------------------------------------------------

// Book 2, section 2.4.5: PPMI + SVD vectors (window 2, 100 dimensions) put "i" and "we" nearest
// to "you", carmakers near "toyota"; analogy questions are answered far above chance (1 in
// 10,000). Through the command, as docs/words.md runs it.
TEST(WordsPtb, CountedVectorsHaveMeaningfulNeighboursAndAnswerAnalogies) {
  NNZERO_PTB_DIR_OR_SKIP(ptb);
  NNZERO_QUESTIONS_FILE_OR_SKIP(questions);
  ScratchDir dir;
  const auto r = run_cli("words count --data '" + ptb + "' --out ptb.safetensors", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = r.json();
  EXPECT_EQ(j["words"], 10000);
  EXPECT_EQ(j["dim"], 100);
  EXPECT_EQ(j["window"], 2);
  EXPECT_EQ(j["corpus_words"], 929589);
  EXPECT_EQ(j["out"], "ptb.safetensors");
  EXPECT_GT(j["seconds"].get<double>(), 0.0);

  const WordVectors v = load_word_vectors(dir / "ptb.safetensors");
  EXPECT_EQ(v.embedding.shape(), (Shape{10000, 100}));
  const auto neighbours = [&](const char* word) {
    std::vector<std::string> out;
    for (const SimilarWord& s : most_similar(word, v.vocab, v.embedding, 5)) out.push_back(s.word);
    return out;
  };
  const auto has = [](const std::vector<std::string>& words, const char* w) {
    return std::find(words.begin(), words.end(), w) != words.end();
  };
  const std::vector<std::string> you = neighbours("you");
  EXPECT_TRUE(has(you, "i") && has(you, "we")) << nlohmann::json(you).dump();
  const std::vector<std::string> year = neighbours("year");
  EXPECT_TRUE(has(year, "month") || has(year, "quarter")) << nlohmann::json(year).dump();
  const std::vector<std::string> toyota = neighbours("toyota");
  EXPECT_TRUE(has(toyota, "nissan") || has(toyota, "honda")) << nlohmann::json(toyota).dump();

  const auto a = run_cli("words analogies ptb.safetensors --questions '" + questions + "'", dir);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  const nlohmann::json s = a.json();
  EXPECT_EQ(s["asked"].get<int64_t>() + s["skipped"].get<int64_t>(), 19544);
  EXPECT_GT(s["asked"].get<int64_t>(), 1000);
  EXPECT_GT(s["accuracy"].get<double>(), 0.02) << s.dump();  // chance: 0.0001
  EXPECT_EQ(s["sections"].size(), 14u);
  EXPECT_EQ(s["sections"]["capital-common-countries"]["asked"].get<int64_t>() +
                s["sections"]["capital-common-countries"]["skipped"].get<int64_t>(),
            506);
  EXPECT_HAS(a.out, "capital-common-countries");
}

// --- the command ----------------------------------------------------------------------------

TEST(WordsCli, CountSimilarAnalogyAndAnalogiesOnATinyCorpus) {
  ScratchDir dir;
  words_tiny_corpus(dir);
  auto r = run_cli("words count --data tiny --window 1 --dim 3 --seed 4 --out v.safetensors", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = r.json();
  EXPECT_EQ(j["words"], 8);  // the sentence's 7 and <eos>
  EXPECT_EQ(j["dim"], 3);
  EXPECT_EQ(j["window"], 1);
  EXPECT_EQ(j["out"], "v.safetensors");
  const WordVectors v = load_word_vectors(dir / "v.safetensors");
  EXPECT_EQ(nlohmann::json::parse(v.how)["seed"], 4);

  r = run_cli("words similar v.safetensors you --top 3", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = r.json();
  EXPECT_EQ(j["word"], "you");
  ASSERT_EQ(j["similar"].size(), 3u);
  const std::vector<SimilarWord> want = most_similar("you", v.vocab, v.embedding, 3);
  for (size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(j["similar"][k]["word"], want[k].word);
    EXPECT_DOUBLE_EQ(j["similar"][k]["similarity"].get<double>(), want[k].similarity);
  }
  EXPECT_EQ(r.out.rfind("[query] you\n " + want[0].word + ": ", 0), 0u) << r.out;

  r = run_cli("words analogy v.safetensors you say i", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = r.json();
  EXPECT_EQ(j["question"], "you:say = i:?");
  EXPECT_EQ(j["answers"].size(), 5u);
  EXPECT_HAS(r.out, "[analogy] you:say = i:?\n");

  spit(dir.path() / "q.txt",
       ": family\nyou say i say\nyou say king queen\n: other\nhello . goodbye and\n");
  r = run_cli("words analogies v.safetensors --questions q.txt", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = r.json();
  EXPECT_EQ(j["asked"], 2);
  EXPECT_EQ(j["skipped"], 1);
  EXPECT_EQ(j["sections"]["family"]["asked"], 1);
  EXPECT_EQ(j["sections"]["family"]["skipped"], 1);
  EXPECT_EQ(j["sections"]["other"]["asked"], 1);
  EXPECT_EQ(j["questions"], "q.txt");
  EXPECT_HAS(r.out, "family");
}

TEST(WordsCli, ALanguageModelServesAsWordVectors) {
  ScratchDir dir;
  words_tiny_corpus(dir, 200);
  spit(dir.path() / "spec.json",
       R"({"name": "tiny_lm", "input": [8], "init": "xavier", "layers": [)"
       R"({"type": "embedding", "num_embeddings": 8, "embedding_dim": 6},)"
       R"({"type": "rnn", "hidden_size": 8}, {"type": "linear", "out_features": 8}]})");
  auto r = run_cli(
      "train --spec spec.json --data tiny --max-steps 3 --batch 4 --out run --quiet "
      "--threads 1",
      dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_cli("words similar run/model.safetensors goodbye --top 2", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.json()["similar"].size(), 2u);
}

TEST(WordsCli, BadInputIsRefusedWithTheReason) {
  ScratchDir dir;
  words_tiny_corpus(dir);
  ASSERT_EQ(
      run_cli("words count --data tiny --window 1 --dim 3 --out v.safetensors", dir).exit_code, 0);
  const auto refused = [&](const std::string& args, const std::string& why) {
    const nnzero_test::CliResult r = run_cli(args, dir);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
    EXPECT_HAS(r.err, why);
    EXPECT_EQ(r.out, "") << args;
  };
  refused("words similar v.safetensors zebra",
          "error: the word 'zebra' is not in the vocabulary (8 words)");
  refused("words analogy v.safetensors you say zebra", "the word 'zebra'");
  refused("words analogy v.safetensors you say", "A B C");
  spit(dir.path() / "bad.txt", ": s\nyou say i say\nyou say i\n");
  refused("words analogies v.safetensors --questions bad.txt",
          "bad.txt: line 3: expected four words");
  refused("words analogies v.safetensors --questions missing.txt", "missing.txt");
  spit(dir.path() / "plain.safetensors", "not a safetensors file");
  refused("words similar plain.safetensors you", "plain.safetensors");
  refused("words count --data tiny --dim 9 --out w.safetensors",
          "9 dimensions asked of a vocabulary of 8 words");
  refused("words count --data tiny --dim 0 --out w.safetensors", "--dim");
  refused("words count --data tiny --window 0 --out w.safetensors", "--window");
  refused("words count --data tiny", "--out");
  std::filesystem::create_directories(dir.path() / "empty");
  for (const char* part : {"train", "valid", "test"}) {
    spit(dir.path() / "empty" / (std::string("e.") + part + ".txt"), "\n");
  }
  refused("words count --data empty --out w.safetensors", "no words in it");
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "w.safetensors"));
}
