# The simulated gateway model (pure, no I/O): included by this folder's
# CMakeLists.txt, which adds the server executable around it.
bridge_add_library(cmp_gateway_sim_model
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/gateway_model.cpp
    ${CMAKE_CURRENT_LIST_DIR}/model_handlers.cpp
    ${CMAKE_CURRENT_LIST_DIR}/home_handlers.cpp
    ${CMAKE_CURRENT_LIST_DIR}/home_network.cpp
    ${CMAKE_CURRENT_LIST_DIR}/seed.cpp
  DEPS bridge_cmp_codec yaml-cpp)
