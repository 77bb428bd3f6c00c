# app_dataframe.py - A minimal AI microservice, for a model fitted on a pandas DataFrame
from flask import Flask, request, jsonify
import joblib
import pandas as pd
import os
app = Flask(__name__)
model = joblib.load(os.environ.get('MODEL_PATH', 'model.pkl')) # Your trained model
@app.route('/predict', methods=['POST'])
def predict():
    data = request.get_json()
    features = pd.DataFrame([data['features']])
    prediction = model.predict(features)
    return jsonify({'prediction': prediction.tolist()[0]})
if __name__ == '__main__':
    app.run(host='0.0.0.0', port=5000)
