"""The engine: interned attribute arrays, numba kernels, the objective, the optimisers, the model.

``encoding``      attribute and label vocabularies, ``AttributeSequences`` (CSR arrays)
``kernels``       forward-backward, Viterbi, marginals, n-best (numba)
``objective``     negative log-likelihood and its gradient (numba, multi-threaded)
``optimisers``    L-BFGS / OWL-QN, averaged perceptron, SGD
``model``         ``LinearChainCRF``: feature index, training, prediction
``second_order``  the label-pair lattice of a second-order CRF
``options``       the one table of algorithms and options, and its validator
``engines``       the engine interface: ``NumbaEngine`` (the above) and ``CRFsuiteEngine``
"""
