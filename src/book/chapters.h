// The make functions of the book's figures, one file per chapter topic; book_figures()
// (figures.cpp) lists them with their names and figure numbers.
#pragma once

#include "nnzero/book/figures.h"

namespace nnzero::book {

FigureOutput activations(const FigureOptions& o);              // ch3_activations.cpp
FigureOutput numerical_diff(const FigureOptions& o);           // ch4_gradients.cpp
FigureOutput gradient_field(const FigureOptions& o);           // ch4_gradients.cpp
FigureOutput gradient_descent_path(const FigureOptions& o);    // ch4_gradients.cpp
FigureOutput two_layer_net_curves(const FigureOptions& o);     // ch5_two_layer_net.cpp
FigureOutput optimizer_paths(const FigureOptions& o);          // ch6_optimizers.cpp
FigureOutput optimizers_mnist(const FigureOptions& o);         // ch6_optimizers.cpp
FigureOutput init_histograms_sigmoid(const FigureOptions& o);  // ch6_weight_init.cpp
FigureOutput init_histograms_relu(const FigureOptions& o);     // ch6_weight_init.cpp
FigureOutput init_mnist(const FigureOptions& o);               // ch6_weight_init.cpp
FigureOutput batchnorm_scales(const FigureOptions& o);         // ch6_batchnorm.cpp
FigureOutput overfitting(const FigureOptions& o);              // ch6_regularization.cpp
FigureOutput weight_decay(const FigureOptions& o);             // ch6_regularization.cpp
FigureOutput dropout(const FigureOptions& o);                  // ch6_regularization.cpp
FigureOutput hyperparameter_search(const FigureOptions& o);    // ch6_search.cpp
FigureOutput conv_filters(const FigureOptions& o);             // ch7_conv.cpp
FigureOutput feature_maps(const FigureOptions& o);             // ch7_conv.cpp
FigureOutput misclassified(const FigureOptions& o);            // ch8_deep.cpp
FigureOutput half_precision(const FigureOptions& o);           // ch8_deep.cpp

}  // namespace nnzero::book
