#include "nnzero/error.h"
#include "table.h"

namespace nnzero::cli {

void predict_table(LoadedModel&, const std::vector<std::string>&, const std::string&) {
  throw Error("predicting from a table is not implemented yet");
}

}  // namespace nnzero::cli
