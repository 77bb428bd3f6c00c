# app.py - A minimal AI microservice
from flask import Flask, request, jsonify
import joblib
import numpy as np
import os
app = Flask(__name__)
model = joblib.load(os.environ.get('MODEL_PATH', 'model.pkl')) # Your trained model
@app.route('/predict', methods=['POST'])
def predict():
    data = request.get_json()
    features = np.array(data['features']).reshape(1, -1)
    prediction = model.predict(features)
    return jsonify({'prediction': prediction.tolist()[0]})
if __name__ == '__main__':
    app.run(host='0.0.0.0', port=5000)
