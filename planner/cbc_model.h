#pragma once
// An owned COIN-OR CBC model (the C interface): Cbc_newModel() freed with
// Cbc_deleteModel() on every path out.

#include <coin/Cbc_C_Interface.h>

#include <memory>

namespace spsim {

struct CbcModelDeleter {
  void operator()(Cbc_Model* m) const { Cbc_deleteModel(m); }
};
using CbcModelPtr = std::unique_ptr<Cbc_Model, CbcModelDeleter>;

inline CbcModelPtr new_cbc_model() { return CbcModelPtr(Cbc_newModel()); }

}  // namespace spsim
