// The network and the training options for a table: the pieces of train_table
// (nnzero/train/table_training.h) that turn its options into a ModelSpec and TrainOptions.
#pragma once

#include <string>

#include "nnzero/data/table.h"
#include "nnzero/model/spec.h"
#include "nnzero/train/table_training.h"
#include "nnzero/train/trainer.h"

namespace nnzero {

// The loss a table's task is trained with by default: softmax_cross_entropy (classify) or
// mse (regress). A spec may also choose mse for classify (the book's sum-of-squares error
// on one-hot targets, section 4.2.1).
const char* default_table_loss(TableTask task);

// options.spec checked against the encoding (input width, outputs, loss), or the MLP of
// options.mlp named `name` with the table defaults in its "train" section; options.init
// applied. Throws an Error naming the spec file and the data file when they do not fit.
ModelSpec table_network(const TableTrainOptions& options, const TableEncoding& encoding,
                        const std::string& name);

// The training options for one model: options.train, else the spec's "train" section, else
// TableDefaults. A changed optimizer without a learning rate gets its own book default.
TrainOptions table_train_options(const TableTrainOptions& options, const ModelSpec& spec);

}  // namespace nnzero
