/**
 * The one door to TensorFlow.js. Every model file imports tf from here so the whole program
 * shares one engine instance (one backend registry, one set of registered custom layers):
 * two copies of tfjs would each have their own, and a layer registered in one would be
 * unknown to the other when loading a model.
 */
import * as tf from '@tensorflow/tfjs';

export { tf };
export default tf;
